using System.Net;
using Limps.Sessions.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NodaTime;

namespace Limps.Sessions.AspNetCore.Tests;

/// <summary>
/// Issue 12.5 (HTTP) and the one-call check: every answer is Limps's own and tells nothing that is not the caller's,
/// and a live session's request costs one registry call.
/// </summary>
[TestFixture]
public sealed class AnswerTruthTests
{
    private const string CapacityBody =
        """{"error":"Session capacity reached","code":"SESSION_CAPACITY_REACHED","message":"The server cannot start another session now. Retry later."}""";

    [Test]
    public async Task A_live_sessions_request_makes_one_registry_call_the_owner_checked_lease()
    {
        RecordingRegistry? registry = null;
        await using TestHost host = await StartAsync(r => registry = r);
        string id = await host.InitializeAsync(user: "alice");
        registry!.Calls.Clear();

        using HttpResponseMessage response = await host.CallEchoAsync(id, user: "alice");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        registry.Calls.Should().Equal(nameof(ISessionRegistry.BeginLeaseForOwnerAsync));
    }

    [Test]
    public async Task Another_users_expired_session_answers_exactly_as_an_unknown_id_and_nothing_is_touched()
    {
        await using TestHost host = await TestHost.StartAsync(o => o.IdleTimeout = TimeSpan.FromMinutes(5));
        string alices = await host.InitializeAsync(user: "alice");
        using (HttpResponseMessage deleted = await host.Client.SendAsync(host.Request(HttpMethod.Delete, alices, "alice")))
        {
            deleted.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        ExpiredSession tombstone = (await host.LookupAsync(alices)).Expiry;
        int tombstones = await host.Ledger.CountAsync();
        string unknown = SessionId.New().ToString();

        foreach (HttpMethod method in new[] { HttpMethod.Post, HttpMethod.Get, HttpMethod.Delete })
        {
            foreach (string? caller in new[] { "bob", null })
            {
                string? body = method == HttpMethod.Post ? TestHost.JsonRpc("tools/list", 2) : null;
                RawAnswer foreign = await host.SendWithSessionHeaderAsync(method.Method, alices, caller, body);
                RawAnswer never = await host.SendWithSessionHeaderAsync(method.Method, unknown, caller, body);

                foreign.Status.Should().Be(never.Status).And.Be(404);
                foreign.Body.Should().Be(never.Body).And.Be(Responses.NotFoundBody);
                foreign.Headers.Where(h => h.Key != "Date").Select(h => $"{h.Key}: {h.Value}")
                    .Should().BeEquivalentTo(never.Headers.Where(h => h.Key != "Date").Select(h => $"{h.Key}: {h.Value}"));
            }
        }

        (await host.Ledger.CountAsync()).Should().Be(tombstones);
        (await host.LookupAsync(alices)).Expiry.Should().Be(tombstone, "nothing touched the tombstone");
        using HttpResponseMessage own = await host.ListToolsAsync(alices, "alice");
        await own.ShouldBeExpiredAsync("deleted", SessionErrorWriter.FormatInstant(tombstone.ExpiredAt));
    }

    [TestCase("zzzzzzzzzz")]
    [TestCase("2026-13-01")]
    [TestCase("2026-02-30")]
    [TestCase("9999-99-99")]
    [TestCase("2026-07-28 ")]
    [TestCase("20260728xx")]
    public async Task A_protocol_version_that_is_not_a_real_date_is_checked_like_any_other_request(string version)
    {
        await using TestHost host = await TestHost.StartAsync();
        RawAnswer answer = await host.SendWithSessionHeaderAsync(
            "POST", SessionId.New().ToString(), body: TestHost.JsonRpc("tools/list", 2), protocolVersion: version);

        answer.Status.Should().Be(404);
        answer.Body.Should().Be(Responses.NotFoundBody, "'{0}' is no sessionless protocol version", version);
    }

    [TestCase("2026-07-28", true)]
    [TestCase("2027-01-31", true)]
    [TestCase("2028-02-29", true)]
    [TestCase("2027-02-29", false)]
    [TestCase("2026-07-27", false)]
    [TestCase("2025-11-25", false)]
    [TestCase("zzzzzzzzzz", false)]
    [TestCase("2026-7-28", false)]
    public void Only_a_real_date_from_2026_07_28_on_is_sessionless(string version, bool sessionless) =>
        SessionlessProtocol.IsSessionless(version).Should().Be(sessionless);

    [Test]
    public async Task A_sessionless_protocol_version_passes_to_the_MCP_server_untouched()
    {
        await using TestHost host = await TestHost.StartAsync();
        RawAnswer answer = await host.SendWithSessionHeaderAsync(
            "POST", SessionId.New().ToString(), body: TestHost.JsonRpc("tools/list", 2), protocolVersion: "2026-07-28");

        answer.Body.Should().NotContain("SESSION_NOT_FOUND", "the MCP server answered, not Limps");
    }

    [Test]
    public async Task At_capacity_only_an_initialize_is_refused_other_id_less_POSTs_pass_through()
    {
        await using TestHost host = await TestHost.StartAsync(o => o.MaxSessions = 1);
        await host.InitializeAsync();

        using HttpResponseMessage probe = await host.Client.SendAsync(host.Request(HttpMethod.Post, body: TestHost.JsonRpc("tools/list", 2)));
        using HttpResponseMessage initialize = await host.Client.SendAsync(host.Request(HttpMethod.Post, body: TestHost.InitializeBody()));

        probe.StatusCode.Should().NotBe(HttpStatusCode.ServiceUnavailable, "an id-less request that opens no session is the MCP server's business");
        (await probe.Content.ReadAsStringAsync()).Should().NotContain("SESSION_CAPACITY_REACHED");
        initialize.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await initialize.Content.ReadAsStringAsync()).Should().Be(CapacityBody);
        (await host.Registry.CountAsync()).Should().Be(1);
    }

    [TestCase("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}""", true)]
    [TestCase("""{"params":{"method":"x"},"jsonrpc":"2.0","method":"initialize"}""", true)]
    [TestCase("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", false)]
    [TestCase("""[{"method":"initialize"}]""", false)]
    [TestCase("""{"method":"initial""", false)]
    [TestCase("not json", false)]
    [TestCase("", false)]
    public void The_JSON_RPC_method_is_read_from_the_body(string body, bool initialize) =>
        JsonRpcMethod.IsInitialize(System.Text.Encoding.UTF8.GetBytes(body)).Should().Be(initialize);

    [Test]
    public async Task A_create_that_loses_the_capacity_race_after_the_MCP_server_answered_gets_Limps_JSON_503()
    {
        RecordingRegistry? registry = null;
        await using TestHost host = await StartAsync(r => registry = r, maxSessions: 1);
        await host.InitializeAsync();
        registry!.StaleCount = true; // the check sees room, the create then finds the last slot taken

        using HttpResponseMessage response = await host.Client.SendAsync(host.Request(HttpMethod.Post, body: TestHost.InitializeBody()));

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        response.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(5));
        response.Headers.Contains(SessionHeaders.SessionId).Should().BeFalse();
        (await response.Content.ReadAsStringAsync()).Should().Be(CapacityBody, "the MCP server's own answer never goes out under a 503");
        registry.StaleCount = false;
        (await host.Registry.CountAsync()).Should().Be(1);
        (await Eventually.TrueAsync(() => Task.FromResult(host.SdkClosedSessions.ClosedCount == 1)))
            .Should().BeTrue("the MCP server's refused session is dropped");
    }

    private static Task<TestHost> StartAsync(Action<RecordingRegistry> created, int maxSessions = 100) => TestHost.StartAsync(
        o =>
        {
            o.IdleTimeout = TimeSpan.FromMinutes(5);
            o.MaxSessions = maxSessions;
        },
        b => b.Services.AddSingleton<ISessionRegistry>(sp =>
        {
            var registry = new RecordingRegistry(new InMemorySessionRegistry(
                sp.GetRequiredService<IOptions<LimpsSessionsOptions>>().Value,
                sp.GetRequiredService<IClock>(),
                sp.GetRequiredService<IExpiryLedger>(),
                sp.GetServices<ISessionLifecycleObserver>()));
            created(registry);
            return registry;
        }));
}
