using System.Net;
using System.Text.Json;
using Limps.Sessions.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.AspNetCore;
using NodaTime;

namespace Limps.Sessions.AspNetCore.Tests;

/// <summary>The hosted sweeper, graceful shutdown, health, CORS and the middleware form.</summary>
[TestFixture]
public sealed class HostingTests
{
    private static readonly TimeSpan Idle = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan Sweep = TimeSpan.FromSeconds(30);

    [Test]
    public async Task The_sweeper_ends_idle_sessions_on_its_timer_and_the_MCP_server_drops_them_too()
    {
        await using TestHost host = await TestHost.StartAsync(o =>
        {
            o.IdleTimeout = Idle;
            o.SweepInterval = Sweep;
        });
        string id = await host.InitializeAsync();
        host.Clock.Advance(Duration.FromTimeSpan(Idle));

        (await host.Registry.CountAsync()).Should().Be(1, "nothing has looked at it yet");
        host.Time.Advance(Sweep);

        (await Eventually.TrueAsync(async () => await host.Registry.CountAsync() == 0)).Should().BeTrue();
        (await host.Ledger.FindAsync(SessionId.Parse(id)))!.Reason.Should().Be(ExpiryReason.Timeout);
        (await host.SdkClosedSessions.WaitForCloseAsync(id)).Should().BeTrue("Limps releases the MCP server's own state");
    }

    [Test]
    public async Task The_sweeper_survives_a_failing_sweep_and_keeps_its_cadence()
    {
        var failures = new FailingSweeps(failures: 1);
        await using TestHost host = await TestHost.StartAsync(
            o =>
            {
                o.IdleTimeout = Idle;
                o.SweepInterval = Sweep;
            },
            b => b.Services.AddSingleton<ISessionRegistry>(sp => failures.Wrap(new InMemorySessionRegistry(
                new LimpsSessionsOptions { IdleTimeout = Idle, SweepInterval = Sweep },
                sp.GetRequiredService<IClock>(),
                sp.GetRequiredService<IExpiryLedger>(),
                sp.GetServices<ISessionLifecycleObserver>()))));
        string id = await host.InitializeAsync();
        host.Clock.Advance(Duration.FromTimeSpan(Idle));

        host.Time.Advance(Sweep);
        (await Eventually.TrueAsync(() => Task.FromResult(failures.Calls == 1))).Should().BeTrue();
        host.Time.Advance(Sweep);

        (await Eventually.TrueAsync(async () => await host.Registry.CountAsync() == 0)).Should().BeTrue();
        failures.Calls.Should().Be(2);
        host.Logs.GetSnapshot().Should().ContainSingle(r => r.Id.Name == "SweepFailed" && r.Level == LogLevel.Error);
        (await host.Ledger.FindAsync(SessionId.Parse(id)))!.Reason.Should().Be(ExpiryReason.Timeout);
    }

    [Test]
    public async Task Graceful_shutdown_ends_live_sessions_as_closed()
    {
        TestHost host = await TestHost.StartAsync();
        string first = await host.InitializeAsync();
        string second = await host.InitializeAsync(user: "alice");
        host.Clock.Advance(Duration.FromSeconds(42));
        ISessionRegistry registry = host.Registry;

        await host.DisposeAsync();

        foreach (string id in new[] { first, second })
        {
            SessionLookup lookup = await registry.LookupAsync(SessionId.Parse(id));
            lookup.Expiry.Reason.Should().Be(ExpiryReason.Closed);
            lookup.Expiry.ExpiredAt.Should().Be(TestHost.Start + Duration.FromSeconds(42));
        }
    }

    [Test]
    public async Task With_CloseSessionsOnShutdown_off_a_graceful_stop_leaves_sessions_live()
    {
        TestHost host = await TestHost.StartAsync(o => o.CloseSessionsOnShutdown = false);
        string id = await host.InitializeAsync();
        ISessionRegistry registry = host.Registry;

        await host.DisposeAsync();

        (await registry.LookupAsync(SessionId.Parse(id))).IsActive.Should().BeTrue("a store shared with other replicas keeps them");
    }

    [Test]
    public async Task A_custom_reason_shows_its_own_code_and_description()
    {
        await using TestHost host = await TestHost.StartAsync(configure: b =>
            b.Services.AddLimpsSessions().ConfigureHttp(o => o.IncludeReasonDescription = true));
        string id = await host.InitializeAsync();

        (await host.Registry.EndAsync(SessionId.Parse(id), new RevokedReason())).Should().BeTrue();
        using HttpResponseMessage response = await host.ListToolsAsync(id);

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Headers.GetValues(SessionHeaders.ExpiredReason).Should().Equal("revoked");
        (await response.Content.ReadAsStringAsync()).Should().Be(
            """{"error":"Session expired","code":"SESSION_EXPIRED","message":"Session expired due to revoked. Please reconnect without session ID.","expiredAt":"2026-02-11T10:00:00.000Z","reason":"revoked","description":"An administrator revoked the session."}""");
        (await host.SdkClosedSessions.WaitForCloseAsync(id)).Should().BeTrue();
    }

    [Test]
    public async Task JSON_RPC_envelope_keeps_status_and_headers_and_wraps_the_same_fields()
    {
        await using TestHost host = await TestHost.StartAsync(
            o => o.IdleTimeout = Idle,
            b => b.Services.AddLimpsSessions().ConfigureHttp(o => o.UseJsonRpcErrors = true));
        string id = await host.InitializeAsync();
        host.Clock.Advance(Duration.FromTimeSpan(Idle));

        using HttpResponseMessage expired = await host.ListToolsAsync(id);
        using HttpResponseMessage unknown = await host.ListToolsAsync("unknown-id");

        expired.StatusCode.Should().Be(HttpStatusCode.NotFound);
        expired.Headers.GetValues(SessionHeaders.Expired).Should().Equal("true");
        (await expired.Content.ReadAsStringAsync()).Should().Be(
            """{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"Session expired due to timeout. Please reconnect without session ID.","data":{"error":"Session expired","code":"SESSION_EXPIRED","message":"Session expired due to timeout. Please reconnect without session ID.","expiredAt":"2026-02-11T10:02:00.000Z","reason":"timeout"}}}""");
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        JsonElement error = (await unknown.JsonAsync()).GetProperty("error");
        error.GetProperty("code").GetInt32().Should().Be(-32001);
        error.GetProperty("data").GetProperty("code").GetString().Should().Be("SESSION_NOT_FOUND");
    }

    [Test]
    public async Task Health_reports_active_sessions_and_tombstones_and_degrades_at_capacity()
    {
        await using TestHost host = await TestHost.StartAsync(o => o.MaxSessions = 2);
        string id = await host.InitializeAsync();
        await host.InitializeAsync();
        HealthReportProbe probe = new(host);

        (await probe.StatusAsync()).Should().Be("Degraded");
        await host.Client.SendAsync(host.Request(HttpMethod.Delete, id));

        (await probe.StatusAsync()).Should().Be("Healthy");
        var check = await probe.CheckAsync();
        check.Data["activeSessions"].Should().Be(1);
        check.Data["ledgerEntries"].Should().Be(1);
        check.Description.Should().NotContain(id);
    }

    [Test]
    public async Task The_health_endpoint_shows_each_checks_status_description_and_counts()
    {
        await using TestHost host = await TestHost.StartAsync(o => o.MaxSessions = 5);
        string id = await host.InitializeAsync();
        await host.InitializeAsync();
        await host.Client.SendAsync(host.Request(HttpMethod.Delete, id));

        JsonElement body = await new HealthReportProbe(host).BodyAsync();

        body.GetProperty("status").GetString().Should().Be("Healthy");
        JsonElement sessions = body.GetProperty("checks").GetProperty("limps-sessions");
        sessions.GetProperty("status").GetString().Should().Be("Healthy");
        sessions.GetProperty("description").GetString().Should().Be("1 of 5 sessions live; 1 tombstones.");
        JsonElement data = sessions.GetProperty("data");
        data.GetProperty("activeSessions").GetInt32().Should().Be(1);
        data.GetProperty("maxSessions").GetInt32().Should().Be(5);
        data.GetProperty("ledgerEntries").GetInt32().Should().Be(1);
        data.GetProperty("maxLedgerEntries").GetInt32().Should().Be(100_000);
        body.ToString().Should().NotContain(id, "a health answer never shows an id");
    }

    [Test]
    public async Task CORS_helper_exposes_the_session_headers_to_browsers()
    {
        await using TestHost host = await TestHost.StartAsync(configure: b =>
        {
            b.Services.AddCors(o => o.AddDefaultPolicy(p => p.WithOrigins("https://app.example").AllowAnyHeader().AllowAnyMethod().WithLimpsSessionHeaders()));
            b.Services.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter>(new CorsFirst());
        });
        using HttpRequestMessage request = host.Request(HttpMethod.Post, "unknown-id", body: TestHost.JsonRpc("tools/list", 2));
        request.Headers.Add("Origin", "https://app.example");

        using HttpResponseMessage response = await host.Client.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Headers.GetValues("Access-Control-Expose-Headers").SelectMany(v => v.Split(',')).Select(v => v.Trim())
            .Should().Contain(["Mcp-Session-Id", "X-Session-Expired", "X-Session-Expired-Reason"]);
    }

    [Test]
    public async Task Middleware_form_answers_like_the_endpoint_form_and_releases_through_the_pipeline()
    {
        await using TestHost host = await TestHost.StartAsync(
            o => o.IdleTimeout = Idle,
            createApp: CreateMiddlewareFormHost);
        string id = await host.InitializeAsync();
        (await host.LookupAsync(id)).IsActive.Should().BeTrue("the middleware registered the issued id");

        host.Clock.Advance(Duration.FromTimeSpan(Idle));
        using HttpResponseMessage expired = await host.ListToolsAsync(id);
        await expired.ShouldBeExpiredAsync("timeout", "2026-02-11T10:02:00.000Z");
        (await host.SdkClosedSessions.WaitForCloseAsync(id)).Should().BeTrue();
        using HttpResponseMessage unknown = await host.ListToolsAsync("never-issued");
        await unknown.ShouldBeNotFoundAsync();
    }

    private sealed class CorsFirst : Microsoft.AspNetCore.Hosting.IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseCors();
            next(app);
        };
    }

    private sealed class RevokedReason() : ExpiryReason("revoked", "An administrator revoked the session.");

    // A host whose MCP endpoint sits behind explicit routing that comes after the Limps middleware.
    private static WebApplication CreateMiddlewareFormHost(string[] args, Action<WebApplicationBuilder> configure)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
        builder.Services.AddMcpServer()
            .WithHttpTransport(t => t.SessionMode = HttpServerSessionMode.Stateful)
            .WithLimpsSessions()
            .WithTools<Limps.Sessions.SampleHost.Tools.SampleTools>();
        configure(builder);
        WebApplication app = builder.Build();
        app.UseLimpsSessions("/mcp");
        app.UseRouting();
#pragma warning disable ASP0014 // Routing placed explicitly after the Limps middleware is the point of this host.
        app.UseEndpoints(endpoints => endpoints.MapMcp("/mcp"));
#pragma warning restore ASP0014
        return app;
    }
}
