using System.Net;
using Limps.Sessions.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.AspNetCore;
using ModelContextProtocol.Client;
using NodaTime;

namespace Limps.Sessions.AspNetCore.Tests;

/// <summary>
/// One test (or more) per row of the HTTP answer table in DESIGN §4, through the real ASP.NET Core pipeline with
/// the real MCP SDK server behind Limps.
/// </summary>
[TestFixture]
public sealed class SessionAnswerTableTests
{
    private static readonly Duration Idle = Duration.FromMinutes(5);

    [Test]
    public async Task Initialize_without_id_passes_through_and_the_issued_id_is_registered()
    {
        await using TestHost host = await TestHost.StartAsync(o => o.IdleTimeout = Idle.ToTimeSpan());

        using HttpResponseMessage response = await host.Client.SendAsync(
            host.Request(HttpMethod.Post, body: TestHost.InitializeBody()));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        string id = response.Headers.GetValues(SessionHeaders.SessionId).Single();
        (await response.McpMessageAsync()).GetProperty("result").GetProperty("protocolVersion").GetString()
            .Should().Be(TestHost.ProtocolVersion);
        SessionLookup lookup = await host.LookupAsync(id);
        lookup.IsActive.Should().BeTrue();
        lookup.Session.Owner.Should().BeNull();
        lookup.Session.CreatedAt.Should().Be(TestHost.Start);
        (await host.Registry.CountAsync()).Should().Be(1);
    }

    [Test]
    public async Task Initialize_by_an_authenticated_user_binds_the_session_to_that_user()
    {
        await using TestHost host = await TestHost.StartAsync();

        string id = await host.InitializeAsync(user: "alice");

        SessionLookup lookup = await host.LookupAsync(id);
        lookup.Session.Owner.Should().NotBeNull().And.Contain("alice");
        using HttpResponseMessage own = await host.ListToolsAsync(id, user: "alice");
        own.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Test]
    public async Task Other_request_without_id_is_answered_by_the_MCP_server_itself()
    {
        await using TestHost host = await TestHost.StartAsync();

        using HttpResponseMessage response = await host.ListToolsAsync(sessionId: null);

        // The SDK's own protocol answer, not a Limps body.
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var body = await response.JsonAsync();
        body.GetProperty("jsonrpc").GetString().Should().Be("2.0");
        body.GetProperty("error").GetProperty("code").GetInt32().Should().Be(-32000);
        (await host.Registry.CountAsync()).Should().Be(0);
    }

    [Test]
    public async Task Sessionless_protocol_request_without_id_reaches_the_MCP_server()
    {
        await using TestHost host = await TestHost.StartAsync(o => o.MaxSessions = 1);
        await host.InitializeAsync();
        using HttpRequestMessage probe = host.Request(HttpMethod.Post, body: TestHost.JsonRpc("server/discover", 1));
        probe.Headers.Add(SessionHeaders.ProtocolVersion, "2026-07-28");

        using HttpResponseMessage response = await host.Client.SendAsync(probe);

        // Even at capacity, a request of a sessionless protocol version is the MCP server's to answer.
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var body = await response.JsonAsync();
        body.GetProperty("jsonrpc").GetString().Should().Be("2.0");
        body.TryGetProperty("code", out _).Should().BeFalse("this is not a Limps body");
    }

    [Test]
    public async Task Default_SDK_client_on_the_dual_era_host_is_served_without_a_session_and_Limps_stays_out_of_its_way()
    {
        await using TestHost host = await TestHost.StartAsync();
        var transport = new HttpClientTransport(
            new HttpClientTransportOptions { Endpoint = host.McpEndpoint, TransportMode = HttpTransportMode.StreamableHttp },
            host.Client);

        // No ProtocolVersion: the client first probes with a sessionless version and no id, which this host serves.
        await using McpClient client = await McpClient.CreateAsync(transport);
        IList<McpClientTool> tools = await client.ListToolsAsync();

        tools.Select(t => t.Name).Should().Contain(["echo", "time", "session_info"]);
        client.SessionId.Should().BeNullOrEmpty();
        (await host.Registry.CountAsync()).Should().Be(0);
    }

    [Test]
    public async Task Default_SDK_client_probes_without_id_then_falls_back_to_initialize_on_a_Stateful_host()
    {
        await using TestHost host = await TestHost.StartAsync(configure: b =>
            b.Services.Configure<HttpServerTransportOptions>(t => t.SessionMode = HttpServerSessionMode.Stateful));
        var transport = new HttpClientTransport(
            new HttpClientTransportOptions { Endpoint = host.McpEndpoint, TransportMode = HttpTransportMode.StreamableHttp },
            host.Client);

        // No ProtocolVersion: the client first probes with a sessionless version and no id, then initializes.
        await using McpClient client = await McpClient.CreateAsync(transport);
        IList<McpClientTool> tools = await client.ListToolsAsync();

        tools.Select(t => t.Name).Should().Contain(["echo", "time", "session_info"]);
        (await host.LookupAsync(client.SessionId!)).IsActive.Should().BeTrue();
    }

    [TestCase("has space", TestName = "Malformed id with a space gets 400")]
    [TestCase("tab\there", TestName = "Malformed id with a control character gets 400")]
    [TestCase("caf\u00e9-session", TestName = "Malformed id with non-ASCII gets 400")]
    [TestCase("\u0001", TestName = "Malformed id of a lone control character gets 400")]
    [TestCase(null, TestName = "Malformed id of 129 characters gets 400")]
    public async Task Malformed_id_gets_400_and_touches_nothing(string? id)
    {
        await using TestHost host = await TestHost.StartAsync();
        string live = await host.InitializeAsync();
        SessionLookup before = await host.LookupAsync(live);
        host.Clock.Advance(Duration.FromSeconds(30));

        using HttpResponseMessage response = await host.ListToolsAsync(id ?? new string('a', 129));

        await ShouldBeInvalidAsync(response);
        (await host.Registry.CountAsync()).Should().Be(1);
        (await host.Ledger.CountAsync()).Should().Be(0);
        (await host.LookupAsync(live)).Session.LastActiveAt.Should().Be(before.Session.LastActiveAt);
    }

    [Test]
    public async Task Repeated_id_header_gets_400()
    {
        await using TestHost host = await TestHost.StartAsync();
        string id = await host.InitializeAsync();
        using HttpRequestMessage request = host.Request(HttpMethod.Post, body: TestHost.JsonRpc("tools/list", 2));
        request.Headers.TryAddWithoutValidation(SessionHeaders.SessionId, [id, id]);

        using HttpResponseMessage response = await host.Client.SendAsync(request);

        await ShouldBeInvalidAsync(response);
        (await host.Ledger.CountAsync()).Should().Be(0);
    }

    [Test]
    public async Task Active_id_of_the_caller_passes_through_and_records_activity()
    {
        await using TestHost host = await TestHost.StartAsync(o => o.IdleTimeout = Idle.ToTimeSpan());
        string id = await host.InitializeAsync(user: "alice");
        host.Clock.Advance(Duration.FromMinutes(4));

        using HttpResponseMessage response = await host.CallEchoAsync(id, "hello", user: "alice");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        JsonElementText(await response.McpMessageAsync()).Should().Be("hello");
        (await host.LookupAsync(id)).Session.LastActiveAt.Should().Be(TestHost.Start + Duration.FromMinutes(4));

        // Four more minutes: past the original deadline, but within the refreshed one.
        host.Clock.Advance(Duration.FromMinutes(4));
        (await host.LookupAsync(id)).IsActive.Should().BeTrue();
    }

    [Test]
    public async Task A_lease_is_held_for_the_whole_of_a_long_SSE_stream()
    {
        await using TestHost host = await TestHost.StartAsync(o => o.IdleTimeout = Idle.ToTimeSpan());
        string id = await host.InitializeAsync();
        using var cts = new CancellationTokenSource();
        using HttpRequestMessage get = host.Request(HttpMethod.Get, id);
        using HttpResponseMessage stream = await host.Client.SendAsync(get, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        stream.StatusCode.Should().Be(HttpStatusCode.OK);

        host.Clock.Advance(Duration.FromHours(3));
        (await host.Registry.SweepAsync()).Should().Be(0);
        (await host.LookupAsync(id)).IsActive.Should().BeTrue("an open stream holds a lease");

        // Closing the stream releases the lease; the idle clock restarts from then.
        Instant closedAt = host.Clock.GetCurrentInstant();
        await cts.CancelAsync();
        stream.Dispose();
        // Releasing the lease is what moves the last activity to the close (lookups do not touch).
        await WaitUntilAsync(async () => (await host.LookupAsync(id)).Session.LastActiveAt == closedAt);
        host.Clock.Advance(Idle);
        SessionLookup after = await host.LookupAsync(id);
        after.IsExpired.Should().BeTrue();
        after.Expiry.Reason.Should().Be(ExpiryReason.Timeout);
        after.Expiry.ExpiredAt.Should().Be(closedAt + Idle);
    }

    [Test]
    public async Task Active_id_of_another_user_gets_404_exactly_as_unknown_and_is_not_touched()
    {
        await using TestHost host = await TestHost.StartAsync(o => o.IdleTimeout = Idle.ToTimeSpan());
        string id = await host.InitializeAsync(user: "alice");
        host.Clock.Advance(Duration.FromMinutes(1));

        using HttpResponseMessage bob = await host.CallEchoAsync(id, user: "bob");
        using HttpResponseMessage anonymous = await host.CallEchoAsync(id, user: null);
        using HttpResponseMessage bobDelete = await host.Client.SendAsync(host.Request(HttpMethod.Delete, id, "bob"));

        await bob.ShouldBeNotFoundAsync();
        await anonymous.ShouldBeNotFoundAsync();
        await bobDelete.ShouldBeNotFoundAsync();
        SessionLookup lookup = await host.LookupAsync(id);
        lookup.IsActive.Should().BeTrue();
        lookup.Session.LastActiveAt.Should().Be(TestHost.Start, "someone else's request must not refresh it");
        var warnings = host.Logs.GetSnapshot().Where(r => r.Level == LogLevel.Warning && r.Id.Name == "SessionOwnerMismatch").ToList();
        warnings.Should().HaveCount(3, "one warning per refused request");
        string masked = SessionId.Parse(id).Masked;
        warnings.Should().OnlyContain(r => r.Message.Contains(masked) && !r.Message.Contains(id));
    }

    [Test]
    public async Task Expired_id_gets_404_with_expired_headers_and_body()
    {
        await using TestHost host = await TestHost.StartAsync(o => o.IdleTimeout = Idle.ToTimeSpan());
        string id = await host.InitializeAsync();
        host.Clock.Advance(Idle + Duration.FromSeconds(1));

        using HttpResponseMessage response = await host.ListToolsAsync(id);

        await response.ShouldBeExpiredAsync("timeout", "2026-02-11T10:05:00.000Z");
    }

    [Test]
    public async Task Expired_at_is_rendered_in_UTC_with_milliseconds()
    {
        await using TestHost host = await TestHost.StartAsync(o => o.IdleTimeout = TimeSpan.FromSeconds(5));
        host.Clock.Advance(Duration.FromMilliseconds(1234));
        string id = await host.InitializeAsync();
        host.Clock.Advance(Duration.FromSeconds(6));

        using HttpResponseMessage response = await host.ListToolsAsync(id);

        await response.ShouldBeExpiredAsync("timeout", "2026-02-11T10:00:06.234Z");
    }

    [Test]
    public async Task Unknown_id_gets_404_not_found()
    {
        await using TestHost host = await TestHost.StartAsync();

        using HttpResponseMessage response = await host.ListToolsAsync(SessionId.New().ToString());

        await response.ShouldBeNotFoundAsync();
        (await host.Ledger.CountAsync()).Should().Be(0, "asking for unknown ids never adds tombstones");
    }

    [Test]
    public async Task Delete_of_an_active_id_ends_it_as_deleted_and_still_reaches_the_MCP_server()
    {
        await using TestHost host = await TestHost.StartAsync();
        string id = await host.InitializeAsync();
        host.Clock.Advance(Duration.FromSeconds(10));

        using HttpResponseMessage response = await host.Client.SendAsync(host.Request(HttpMethod.Delete, id));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        SessionLookup lookup = await host.LookupAsync(id);
        lookup.Expiry.Reason.Should().Be(ExpiryReason.Deleted);
        lookup.Expiry.ExpiredAt.Should().Be(TestHost.Start + Duration.FromSeconds(10));
        (await host.SdkClosedSessions.WaitForCloseAsync(id)).Should().BeTrue("the MCP server frees its own state");

        using HttpResponseMessage after = await host.ListToolsAsync(id);
        await after.ShouldBeExpiredAsync("deleted", "2026-02-11T10:00:10.000Z");
    }

    [Test]
    public async Task Delete_of_an_expired_id_gets_the_expired_answer()
    {
        await using TestHost host = await TestHost.StartAsync(o => o.IdleTimeout = Idle.ToTimeSpan());
        string id = await host.InitializeAsync();
        host.Clock.Advance(Idle);

        using HttpResponseMessage response = await host.Client.SendAsync(host.Request(HttpMethod.Delete, id));

        await response.ShouldBeExpiredAsync("timeout", "2026-02-11T10:05:00.000Z");
        (await host.LookupAsync(id)).Expiry.Reason.Should().Be(ExpiryReason.Timeout, "the first reason wins");
    }

    [Test]
    public async Task Delete_of_an_unknown_id_gets_404_not_found_rather_than_the_servers_200()
    {
        await using TestHost host = await TestHost.StartAsync();

        using HttpResponseMessage response = await host.Client.SendAsync(host.Request(HttpMethod.Delete, SessionId.New().ToString()));

        await response.ShouldBeNotFoundAsync();
    }

    [Test]
    public async Task Create_past_MaxSessions_gets_503_with_Retry_After()
    {
        await using TestHost host = await TestHost.StartAsync(o => o.MaxSessions = 2);
        await host.InitializeAsync();
        await host.InitializeAsync();

        using HttpResponseMessage response = await host.Client.SendAsync(host.Request(HttpMethod.Post, body: TestHost.InitializeBody()));

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(5));
        response.Headers.Contains(SessionHeaders.SessionId).Should().BeFalse();
        var body = await response.JsonAsync();
        body.GetProperty("code").GetString().Should().Be("SESSION_CAPACITY_REACHED");
        body.GetProperty("error").GetString().Should().Be("Session capacity reached");
        (await host.Registry.CountAsync()).Should().Be(2);
    }

    [Test]
    public async Task At_capacity_overdue_sessions_make_room_before_anyone_is_refused()
    {
        await using TestHost host = await TestHost.StartAsync(o =>
        {
            o.MaxSessions = 1;
            o.IdleTimeout = Idle.ToTimeSpan();
        });
        string old = await host.InitializeAsync();
        host.Clock.Advance(Idle);

        string fresh = await host.InitializeAsync();

        (await host.LookupAsync(fresh)).IsActive.Should().BeTrue();
        (await host.LookupAsync(old)).Expiry.Reason.Should().Be(ExpiryReason.Timeout);
    }

    private static async Task ShouldBeInvalidAsync(HttpResponseMessage response)
    {
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        (await response.Content.ReadAsStringAsync()).Should().Be(
            """{"error":"Invalid session ID","code":"INVALID_SESSION_ID","message":"The Mcp-Session-Id header must be one value of 1 to 128 visible ASCII characters."}""");
    }

    private static string? JsonElementText(System.Text.Json.JsonElement message) =>
        message.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString();

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!await condition())
        {
            cts.Token.ThrowIfCancellationRequested();
            await Task.Delay(10, CancellationToken.None);
        }
    }
}
