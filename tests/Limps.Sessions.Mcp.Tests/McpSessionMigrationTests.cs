using System.Security.Claims;
using Limps.Sessions.AspNetCore;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol.Protocol;
using NodaTime;
using NodaTime.Testing;

namespace Limps.Sessions.Mcp.Tests;

/// <summary>
/// The MCP session migration handler on a registry shared between processes (any store that keeps session metadata):
/// what it keeps with a new session, who may take a session over, and with which initialize parameters.
/// </summary>
[CancelAfter(30_000)]
public class McpSessionMigrationTests
{
    private static readonly Instant Start = Instant.FromUtc(2026, 2, 11, 10, 0);

    private ServiceProvider _services = null!;
    private ISessionRegistry _registry = null!;
    private McpSessionMigrationHandler _handler = null!;

    [SetUp]
    public void SetUp()
    {
        _services = new ServiceCollection()
            .AddSingleton<ISessionRegistry>(_ => new SharedRegistry(new InMemorySessionRegistry(new LimpsSessionsOptions(), new FakeClock(Start))))
            .BuildServiceProvider();
        _registry = _services.GetRequiredService<ISessionRegistry>();
        _handler = new McpSessionMigrationHandler(_services, NullLogger<McpSessionMigrationHandler>.Instance);
    }

    [TearDown]
    public void TearDown() => _services.Dispose();

    [Test]
    public async Task Initialize_parameters_go_into_the_new_sessions_metadata_and_come_back_for_a_takeover()
    {
        SessionId id = SessionId.New();
        HttpContext initializing = Initializing();
        await _handler.OnSessionInitializedAsync(initializing, id.ToString(), Parameters("early"), CancellationToken.None);
        IDictionary<string, string> metadata = initializing.Features.Get<ISessionCreationFeature>()!.Metadata;
        metadata.Should().ContainKey(McpSessionMigrationHandler.InitializeMetadataKey);
        await _registry.CreateAsync(id, metadata: metadata.ToDictionary());

        InitializeRequestParams back = (await _handler.AllowSessionMigrationAsync(new DefaultHttpContext(), id.ToString(), CancellationToken.None))!;
        back.ClientInfo.Name.Should().Be("early");
        back.ProtocolVersion.Should().Be("2025-11-25");
    }

    [Test]
    public async Task Parameters_that_arrive_after_the_answer_started_or_without_the_check_are_not_kept_and_allow_no_takeover()
    {
        SessionId late = SessionId.New();
        HttpContext started = Initializing(responseStarted: true);
        await _handler.OnSessionInitializedAsync(started, late.ToString(), Parameters("late"), CancellationToken.None);
        started.Features.Get<ISessionCreationFeature>()!.Metadata.Should().BeEmpty();
        await _registry.CreateAsync(late);

        SessionId unchecked_ = SessionId.New();
        await _handler.Invoking(h => h.OnSessionInitializedAsync(new DefaultHttpContext(), unchecked_.ToString(), Parameters("x"), CancellationToken.None).AsTask())
            .Should().NotThrowAsync();
        await _registry.CreateAsync(unchecked_);

        (await _handler.AllowSessionMigrationAsync(new DefaultHttpContext(), late.ToString(), CancellationToken.None)).Should().BeNull();
        (await _handler.AllowSessionMigrationAsync(new DefaultHttpContext(), unchecked_.ToString(), CancellationToken.None)).Should().BeNull();
    }

    [Test]
    public async Task Only_the_owner_of_a_live_session_may_take_it_over()
    {
        ClaimsPrincipal alice = User("alice");
        SessionId id = SessionId.New();
        HttpContext initializing = Initializing(alice);
        await _handler.OnSessionInitializedAsync(initializing, id.ToString(), Parameters("c"), CancellationToken.None);
        await _registry.CreateAsync(id, SessionOwner.KeyOf(alice), initializing.Features.Get<ISessionCreationFeature>()!.Metadata.ToDictionary());

        (await _handler.AllowSessionMigrationAsync(new DefaultHttpContext { User = alice }, id.ToString(), CancellationToken.None))
            .Should().NotBeNull();
        (await _handler.AllowSessionMigrationAsync(new DefaultHttpContext { User = User("mallory") }, id.ToString(), CancellationToken.None))
            .Should().BeNull();
        (await _handler.AllowSessionMigrationAsync(new DefaultHttpContext(), id.ToString(), CancellationToken.None))
            .Should().BeNull("an anonymous caller is not the owner");

        await _registry.EndAsync(id, ExpiryReason.Deleted);
        (await _handler.AllowSessionMigrationAsync(new DefaultHttpContext { User = alice }, id.ToString(), CancellationToken.None))
            .Should().BeNull("an ended session cannot be taken over");
        (await _handler.AllowSessionMigrationAsync(new DefaultHttpContext(), "not a valid id", CancellationToken.None))
            .Should().BeNull();
    }

    [Test]
    public async Task Nothing_is_kept_for_the_in_memory_registry_which_no_other_process_can_share()
    {
        using var local = new ServiceCollection()
            .AddSingleton<ISessionRegistry>(_ => new InMemorySessionRegistry(new LimpsSessionsOptions(), new FakeClock(Start)))
            .BuildServiceProvider();
        var handler = new McpSessionMigrationHandler(local, NullLogger<McpSessionMigrationHandler>.Instance);
        HttpContext initializing = Initializing();

        await handler.OnSessionInitializedAsync(initializing, SessionId.New().ToString(), Parameters("c"), CancellationToken.None);

        initializing.Features.Get<ISessionCreationFeature>()!.Metadata.Should().BeEmpty();
    }

    private static HttpContext Initializing(ClaimsPrincipal? user = null, bool responseStarted = false)
    {
        var context = new DefaultHttpContext();
        if (user is not null)
        {
            context.User = user;
        }

        context.Features.Set<ISessionCreationFeature>(new CreationFeature());
        if (responseStarted)
        {
            context.Features.Set<IHttpResponseFeature>(new StartedResponse());
        }

        return context;
    }

    private static InitializeRequestParams Parameters(string client) => new()
    {
        ProtocolVersion = "2025-11-25",
        ClientInfo = new Implementation { Name = client, Version = "1.0" },
        Capabilities = new ClientCapabilities(),
    };

    private static ClaimsPrincipal User(string name) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, name)], authenticationType: "Test"));

    private sealed class CreationFeature : ISessionCreationFeature
    {
        public IDictionary<string, string> Metadata { get; } = new Dictionary<string, string>();
    }

    private sealed class StartedResponse : HttpResponseFeature
    {
        public override bool HasStarted => true;
    }
}
