using System.Security.Claims;
using Limps.Sessions.Redis.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol.Protocol;
using NodaTime.Testing;

namespace Limps.Sessions.Redis.Tests;

/// <summary>The MCP session migration handler: who may take a session over, and with which initialize parameters.</summary>
[CancelAfter(30_000)]
public class RedisSessionMigrationTests
{
    private ServiceProvider _services = null!;
    private RedisSessionRegistry _registry = null!;
    private RedisSessionMigrationHandler _handler = null!;
    private FakeClock _clock = null!;

    [SetUp]
    public void SetUp()
    {
        _clock = new FakeClock(TestTime.Start);
        _services = new ServiceCollection()
            .AddSingleton(_ => new RedisSessionRegistry(
                RedisTestServer.Connection,
                new LimpsSessionsOptions(),
                new RedisSessionStoreOptions { KeyPrefix = RedisTestServer.NewPrefix() },
                _clock))
            .BuildServiceProvider();
        _registry = _services.GetRequiredService<RedisSessionRegistry>();
        _handler = new RedisSessionMigrationHandler(_services, NullLogger<RedisSessionMigrationHandler>.Instance);
    }

    [TearDown]
    public void TearDown()
    {
        _registry.Dispose();
        _services.Dispose();
    }

    [Test]
    public async Task Initialize_parameters_kept_before_or_after_registration_come_back_for_a_takeover()
    {
        SessionId before = SessionId.New();
        SessionId after = SessionId.New();
        await _handler.OnSessionInitializedAsync(new DefaultHttpContext(), before.ToString(), Parameters("early"), CancellationToken.None);
        await _registry.CreateAsync(before);
        await _registry.CreateAsync(after);
        await _handler.OnSessionInitializedAsync(new DefaultHttpContext(), after.ToString(), Parameters("late"), CancellationToken.None);

        (await _handler.AllowSessionMigrationAsync(new DefaultHttpContext(), before.ToString(), CancellationToken.None))!
            .ClientInfo.Name.Should().Be("early");
        InitializeRequestParams late = (await _handler.AllowSessionMigrationAsync(new DefaultHttpContext(), after.ToString(), CancellationToken.None))!;
        late.ClientInfo.Name.Should().Be("late");
        late.ProtocolVersion.Should().Be("2025-11-25");
    }

    [Test]
    public async Task Only_the_owner_of_a_live_session_may_take_it_over()
    {
        ClaimsPrincipal alice = User("alice");
        string owner = string.Join('\u001F', ClaimTypes.NameIdentifier, ClaimsIdentity.DefaultIssuer, "alice");
        SessionInfo owned = await _registry.CreateAsync(owner: owner);
        await _handler.OnSessionInitializedAsync(new DefaultHttpContext { User = alice }, owned.Id.ToString(), Parameters("c"), CancellationToken.None);

        (await _handler.AllowSessionMigrationAsync(new DefaultHttpContext { User = alice }, owned.Id.ToString(), CancellationToken.None))
            .Should().NotBeNull();
        (await _handler.AllowSessionMigrationAsync(new DefaultHttpContext { User = User("mallory") }, owned.Id.ToString(), CancellationToken.None))
            .Should().BeNull();
        (await _handler.AllowSessionMigrationAsync(new DefaultHttpContext(), owned.Id.ToString(), CancellationToken.None))
            .Should().BeNull("an anonymous caller is not the owner");

        await _registry.EndAsync(owned.Id, ExpiryReason.Deleted);
        (await _handler.AllowSessionMigrationAsync(new DefaultHttpContext { User = alice }, owned.Id.ToString(), CancellationToken.None))
            .Should().BeNull("an ended session cannot be taken over");
        (await _handler.AllowSessionMigrationAsync(new DefaultHttpContext(), "not a valid id", CancellationToken.None))
            .Should().BeNull();
    }

    private static InitializeRequestParams Parameters(string client) => new()
    {
        ProtocolVersion = "2025-11-25",
        ClientInfo = new Implementation { Name = client, Version = "1.0" },
        Capabilities = new ClientCapabilities(),
    };

    private static ClaimsPrincipal User(string name) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, name)], authenticationType: "Test"));
}
