using System.Net;
using Limps.Sessions.AspNetCore;
using Limps.Sessions.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore;
using NodaTime;
using NodaTime.Testing;

namespace Limps.Sessions.Mcp.Tests;

/// <summary>
/// <c>AddMcpServer().WithHttpTransport().WithLimpsSessions()</c>: the SDK transport set the way Limps needs it without
/// the host writing it, the release and migration services, and the result on a real host.
/// </summary>
[CancelAfter(30_000)]
public class McpServerBuilderTests
{
    [Test]
    public void The_shortest_form_gives_dual_era_sessions_and_no_SDK_idle_timeout_or_cap_below_MaxSessions()
    {
        using ServiceProvider services = Services(mcp => mcp.WithHttpTransport().WithLimpsSessions(), o => o.MaxSessions = 123_456);

        HttpServerTransportOptions transport = services.GetRequiredService<IOptions<HttpServerTransportOptions>>().Value;

        transport.SessionMode.Should().Be(HttpServerSessionMode.StatefulForInitializeClients);
#pragma warning disable MCP9006 // Obsolete in the SDK, yet still what decides when it drops idle sessions.
        transport.IdleTimeout.Should().Be(Timeout.InfiniteTimeSpan);
        transport.MaxIdleSessionCount.Should().Be(123_456);
#pragma warning restore MCP9006
    }

    [Test]
    public void A_host_that_chose_Stateful_keeps_it_and_a_host_that_chose_Stateless_gets_sessions_for_initialize_clients()
    {
        using ServiceProvider stateful = Services(mcp => mcp
            .WithHttpTransport(t => t.SessionMode = HttpServerSessionMode.Stateful)
            .WithLimpsSessions());
        using ServiceProvider stateless = Services(mcp => mcp
            .WithHttpTransport(t => t.SessionMode = HttpServerSessionMode.Stateless)
            .WithLimpsSessions());
#pragma warning disable MCP9006 // Obsolete in the SDK, yet still what decides when it drops idle sessions.
        using ServiceProvider biggerCap = Services(mcp => mcp
            .WithHttpTransport(t => t.MaxIdleSessionCount = 1_000_000)
            .WithLimpsSessions());
        biggerCap.GetRequiredService<IOptions<HttpServerTransportOptions>>().Value.MaxIdleSessionCount.Should().Be(1_000_000);
#pragma warning restore MCP9006

        stateful.GetRequiredService<IOptions<HttpServerTransportOptions>>().Value.SessionMode.Should().Be(HttpServerSessionMode.Stateful);
        stateless.GetRequiredService<IOptions<HttpServerTransportOptions>>().Value.SessionMode
            .Should().Be(HttpServerSessionMode.StatefulForInitializeClients, "a stateless MCP server would leave Limps nothing to check");
    }

    [Test]
    public void It_adds_Limps_the_SDK_release_and_the_migration_handler_once_however_often_it_is_called()
    {
        using ServiceProvider services = Services(mcp => mcp.WithHttpTransport().WithLimpsSessions().WithLimpsSessions());

        services.GetRequiredService<ISessionRegistry>().Should().BeOfType<InMemorySessionRegistry>();
        services.GetServices<ISessionServerReleaser>().Should().ContainSingle();
        services.GetServices<ISessionLifecycleObserver>().Should().ContainSingle().Which.Should().BeAssignableTo<ISessionServerReleaser>();
        services.GetRequiredService<ISessionMigrationHandler>().Should().BeOfType<McpSessionMigrationHandler>();
    }

    [Test]
    public async Task A_session_initialized_in_one_process_is_taken_over_by_another_that_shares_the_registry()
    {
        var shared = new SharedRegistry(new InMemorySessionRegistry(new LimpsSessionsOptions(), new FakeClock(TestHost.Start)));
        await using TestHost a = await TestHost.StartAsync(configure: b => b.Services.AddSingleton<ISessionRegistry>(shared));
        await using TestHost b = await TestHost.StartAsync(configure: b => b.Services.AddSingleton<ISessionRegistry>(shared));

        string id = await a.InitializeAsync(user: "alice");
        (await shared.LookupAsync(SessionId.Parse(id))).TryGetSession(out SessionInfo session).Should().BeTrue();
        session.Metadata.Should().ContainKey(McpSessionMigrationHandler.InitializeMetadataKey);

        using HttpResponseMessage onB = await b.CallEchoAsync(id, "from B", user: "alice");
        onB.StatusCode.Should().Be(HttpStatusCode.OK);
        (await onB.Content.ReadAsStringAsync()).Should().Contain("from B");

        using HttpResponseMessage stranger = await b.CallEchoAsync(id, "from mallory", user: "mallory");
        stranger.StatusCode.Should().Be(HttpStatusCode.NotFound, "another user's session is answered as unknown");
    }

    [Test]
    public async Task On_the_sample_host_an_initialize_client_gets_a_session_and_a_2026_07_28_client_is_served_without_one()
    {
        await using TestHost host = await TestHost.StartAsync();

        string id = await host.InitializeAsync();
        (await host.LookupAsync(id)).IsActive.Should().BeTrue();

        using HttpRequestMessage sessionless = host.Request(HttpMethod.Post, body: TestHost.JsonRpc("tools/list", 7, new Dictionary<string, object>
        {
            ["_meta"] = new Dictionary<string, object>
            {
                ["io.modelcontextprotocol/protocolVersion"] = "2026-07-28",
                ["io.modelcontextprotocol/clientCapabilities"] = new Dictionary<string, object>(),
                ["io.modelcontextprotocol/clientInfo"] = new Dictionary<string, object> { ["name"] = "limps-tests", ["version"] = "1.0" },
            },
        }));
        sessionless.Headers.TryAddWithoutValidation(SessionHeaders.ProtocolVersion, "2026-07-28");
        sessionless.Headers.TryAddWithoutValidation("Mcp-Method", "tools/list");
        using HttpResponseMessage answer = await host.Client.SendAsync(sessionless);

        answer.StatusCode.Should().Be(HttpStatusCode.OK, await answer.Content.ReadAsStringAsync());
        answer.Headers.Contains(SessionHeaders.SessionId).Should().BeFalse();
        (await answer.Content.ReadAsStringAsync()).Should().Contain("echo");
        (await host.Registry.CountAsync()).Should().Be(1);
    }

    private static ServiceProvider Services(Action<IMcpServerBuilder> mcp, Action<LimpsSessionsOptions>? limps = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IClock>(new FakeClock(TestHost.Start));
        mcp(services.AddMcpServer());
        if (limps is not null)
        {
            services.AddLimpsSessions(limps);
        }

        return services.BuildServiceProvider();
    }
}
