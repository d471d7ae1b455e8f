using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Limps.Sessions.Client.Tests.Infrastructure;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Limps.Sessions.Client.Tests;

/// <summary>
/// The official MCP C# SDK client (ModelContextProtocol 2.4.0), through the recovery handler, against the sample host
/// (real ASP.NET Core, real MCP SDK server, Limps) on Kestrel loopback. Expiry is driven by the host's fake clock only.
/// </summary>
public class SdkRecoveryTests
{
    [Test]
    public async Task Idle_past_the_timeout_the_next_tool_call_succeeds_transparently_with_one_reinitialize()
    {
        await using McpHost host = await McpHost.StartAsync();
        await using RecoveringMcpClient mcp = await RecoveringMcpClient.ConnectAsync(host.McpEndpoint);
        string callerId = mcp.SessionId;
        (await mcp.EchoAsync("before")).Should().Be("before");

        await host.IdlePastTimeoutAsync();
        (await mcp.EchoAsync("after the idle timeout")).Should().Be("after the idle timeout");

        mcp.Meter.Reinitializations("succeeded").Should().Be(1);
        mcp.Meter.Reinitializations().Should().Be(1);
        mcp.Meter.Lost("expired").Should().Be(1);
        mcp.Meter.Retries("succeeded").Should().Be(1);
        mcp.Client.SessionId.Should().Be(callerId, "the SDK keeps the id it knows; the handler rewrites it");

        string newId = mcp.LastWireSessionId!;
        newId.Should().NotBe(callerId);
        SessionLookup old = await host.LookupAsync(callerId);
        old.IsExpired.Should().BeTrue();
        old.Expiry.Reason.Should().Be(ExpiryReason.Timeout);
        (await host.LookupAsync(newId)).IsActive.Should().BeTrue();

        mcp.Wire.Exchanges.Select(e => (e.RpcMethod, e.Status)).Should().Equal(
            ("initialize", HttpStatusCode.OK),
            ("notifications/initialized", HttpStatusCode.Accepted),
            ("tools/call", HttpStatusCode.OK),
            ("tools/call", HttpStatusCode.NotFound),
            ("initialize", HttpStatusCode.OK),
            ("notifications/initialized", HttpStatusCode.Accepted),
            ("tools/call", HttpStatusCode.OK));

        // Above the handler, the SDK saw none of it: its own id on every request and every echoing answer, and no 404.
        mcp.SdkView.Exchanges.Select(e => (e.RpcMethod, e.Status)).Should().Equal(
            ("initialize", HttpStatusCode.OK),
            ("notifications/initialized", HttpStatusCode.Accepted),
            ("tools/call", HttpStatusCode.OK),
            ("tools/call", HttpStatusCode.OK));
        mcp.SdkView.Exchanges.Skip(1).Should().OnlyContain(e => e.SessionId == callerId);
        mcp.SdkView.Exchanges.Where(e => e.ResponseSessionId != null).Should().OnlyContain(e => e.ResponseSessionId == callerId);
        mcp.Wire.Exchanges[^1].ResponseSessionId.Should().Be(newId, "the server echoes the new id; the handler shows the SDK its own");

        SessionReplacedEventArgs replaced = mcp.Replacements.Should().ContainSingle().Subject;
        replaced.Reason.Should().Be(SessionLossReason.Expired);
        replaced.ExpiryReason.Should().Be("timeout");
        replaced.CallerSessionId.Should().Be(callerId[..8] + "...");
        replaced.NewSessionId.Should().Be(newId[..8] + "...");

        // The server sees the call on the new session.
        CallToolResult info = await mcp.Client.CallToolAsync("session_info");
        using JsonDocument json = JsonDocument.Parse(info.Content.OfType<TextContentBlock>().Single().Text);
        json.RootElement.GetProperty("sessionId").GetString().Should().Be(newId[..8] + "...");
        mcp.Wire.Count("initialize").Should().Be(2);
    }

    [Test]
    public async Task A_second_expiry_is_recovered_again_and_the_SDK_never_notices()
    {
        await using McpHost host = await McpHost.StartAsync();
        await using RecoveringMcpClient mcp = await RecoveringMcpClient.ConnectAsync(host.McpEndpoint);

        for (int round = 1; round <= 3; round++)
        {
            await host.IdlePastTimeoutAsync();
            (await mcp.EchoAsync($"round {round}")).Should().Be($"round {round}");
            IList<McpClientTool> tools = await mcp.Client.ListToolsAsync();
            tools.Select(t => t.Name).Should().Contain("echo");
        }

        mcp.Replacements.Select(r => r.Replacements).Should().Equal(1, 2, 3);
        mcp.Meter.Reinitializations("succeeded").Should().Be(3);
        mcp.Wire.Count("initialize").Should().Be(4);
        (await host.Registry.CountAsync()).Should().Be(1, "only the latest session is live");
    }

    [Test]
    public async Task After_a_host_restart_SESSION_NOT_FOUND_is_recovered()
    {
        McpHost first = await McpHost.StartAsync();
        int port = first.Port;
        await using RecoveringMcpClient mcp = await RecoveringMcpClient.ConnectAsync(first.McpEndpoint);
        (await mcp.EchoAsync("before the restart")).Should().Be("before the restart");
        await first.DisposeAsync();

        await using McpHost second = await McpHost.StartAsync(port);
        (await mcp.EchoAsync("after the restart")).Should().Be("after the restart");

        SessionReplacedEventArgs replaced = mcp.Replacements.Should().ContainSingle().Subject;
        replaced.Reason.Should().Be(SessionLossReason.NotFound);
        replaced.ExpiryReason.Should().BeNull();
        mcp.Meter.Lost("not_found").Should().Be(1);
        mcp.Meter.Reinitializations("succeeded").Should().Be(1);
        (await second.LookupAsync(mcp.LastWireSessionId!)).IsActive.Should().BeTrue();
        (await second.Registry.CountAsync()).Should().Be(1);
    }

    [Test]
    public async Task After_a_host_restart_with_the_standalone_GET_stream_open_the_SDKs_own_reconnect_recovers_the_session()
    {
        McpHost first = await McpHost.StartAsync();
        int port = first.Port;
        await using RecoveringMcpClient mcp = await RecoveringMcpClient.ConnectAsync(
            first.McpEndpoint,
            standaloneGetStream: true,
            transport: ReconnectQuickly);
        string callerId = mcp.SessionId;
        await WaitForAsync(() => mcp.Wire.Exchanges.Any(e => e.Method == HttpMethod.Get && e.Status == HttpStatusCode.OK));
        await first.DisposeAsync(); // the stream breaks; the SDK sends its GET again, with the old id

        await using McpHost second = await McpHost.StartAsync(port);
        await WaitForAsync(() => mcp.Wire.Exchanges.Any(e =>
            e.Method == HttpMethod.Get && e.Status == HttpStatusCode.OK && e.SessionId != callerId));

        mcp.Wire.Exchanges.Should().Contain(e => e.Method == HttpMethod.Get && e.SessionId == callerId && e.Status == HttpStatusCode.NotFound);
        mcp.Replacements.Should().ContainSingle().Which.Reason.Should().Be(SessionLossReason.NotFound);
        (await mcp.EchoAsync("after the restart")).Should().Be("after the restart");
        mcp.Wire.Count("initialize").Should().Be(2, "the tool call used the session the GET reconnect already made");
        mcp.SdkView.Exchanges.Should().NotContain(e => e.Status == HttpStatusCode.NotFound);
    }

    [Test]
    public async Task With_Limps_JSON_RPC_error_bodies_SESSION_NOT_FOUND_is_still_read_from_the_envelope()
    {
        const string JsonRpcErrors = "Limps:Sessions:UseJsonRpcErrors=true";
        McpHost first = await McpHost.StartAsync(settings: JsonRpcErrors);
        int port = first.Port;
        await using RecoveringMcpClient mcp = await RecoveringMcpClient.ConnectAsync(first.McpEndpoint);
        await first.DisposeAsync();
        await using McpHost second = await McpHost.StartAsync(port, settings: JsonRpcErrors);

        using (var raw = new HttpClient())
        using (var probe = new HttpRequestMessage(HttpMethod.Post, second.McpEndpoint))
        {
            probe.Headers.Add("Mcp-Session-Id", mcp.SessionId);
            probe.Headers.Accept.ParseAdd("application/json, text/event-stream");
            probe.Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"ping"}""", MediaTypeHeaderValue.Parse("application/json"));
            using HttpResponseMessage answer = await raw.SendAsync(probe);
            answer.StatusCode.Should().Be(HttpStatusCode.NotFound);
            answer.Headers.Contains("X-Session-Expired").Should().BeFalse("a not-found answer has no header to go by");
            (await answer.Content.ReadAsStringAsync()).Should().StartWith("""{"jsonrpc":"2.0","id":null,"error":{"code":-32001""")
                .And.Contain("SESSION_NOT_FOUND");
        }

        (await mcp.EchoAsync("after")).Should().Be("after");

        mcp.Replacements.Should().ContainSingle().Which.Reason.Should().Be(SessionLossReason.NotFound);
        mcp.Meter.Lost("not_found").Should().Be(1);
    }

    [Test]
    public async Task A_DELETE_from_another_client_is_recovered()
    {
        await using McpHost host = await McpHost.StartAsync();
        await using RecoveringMcpClient mcp = await RecoveringMcpClient.ConnectAsync(host.McpEndpoint);
        (await mcp.EchoAsync("mine")).Should().Be("mine");

        using (var other = new HttpClient())
        using (var delete = new HttpRequestMessage(HttpMethod.Delete, host.McpEndpoint))
        {
            delete.Headers.Add("Mcp-Session-Id", mcp.SessionId);
            using HttpResponseMessage deleted = await other.SendAsync(delete);
            deleted.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        (await mcp.EchoAsync("still mine")).Should().Be("still mine");
        SessionReplacedEventArgs replaced = mcp.Replacements.Should().ContainSingle().Subject;
        replaced.Reason.Should().Be(SessionLossReason.Expired);
        replaced.ExpiryReason.Should().Be("deleted");
        (await host.LookupAsync(mcp.SessionId)).Expiry.Reason.Should().Be(ExpiryReason.Deleted);
    }

    [Test]
    public async Task Twenty_concurrent_calls_after_expiry_share_exactly_one_reinitialize()
    {
        await using McpHost host = await McpHost.StartAsync();
        await using RecoveringMcpClient mcp = await RecoveringMcpClient.ConnectAsync(host.McpEndpoint);
        (await mcp.EchoAsync("warm up")).Should().Be("warm up");

        await host.IdlePastTimeoutAsync();
        string[] answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => mcp.EchoAsync($"call {i}")));

        answers.Should().Equal(Enumerable.Range(0, 20).Select(i => $"call {i}"));
        mcp.SdkView.Exchanges.Should().OnlyContain(e => e.Status != HttpStatusCode.NotFound, "the SDK never saw a 404");
        mcp.Meter.Reinitializations().Should().Be(1);
        mcp.Wire.Count("initialize").Should().Be(2);
        mcp.Wire.Count("notifications/initialized").Should().Be(2);
        mcp.Replacements.Should().ContainSingle();
        TestContext.Out.WriteLine($"{mcp.Meter.Lost()} of 20 calls were answered 404 and joined the one recovery");
        mcp.Meter.Lost().Should().BeInRange(1, 20);
        mcp.Meter.Lost("expired").Should().Be(mcp.Meter.Lost(), "every racing request is told the same story: expired");
        mcp.Meter.Retries("succeeded").Should().Be(mcp.Meter.Lost());
        (await host.Registry.CountAsync()).Should().Be(1);
    }

    [Test]
    public async Task A_server_that_keeps_answering_404_gets_the_error_surfaced_after_one_reinitialize()
    {
        await using AlwaysNotFoundServer server = await AlwaysNotFoundServer.StartAsync();
        await using RecoveringMcpClient mcp = await RecoveringMcpClient.ConnectAsync(server.McpEndpoint);

        HttpRequestException thrown = (await FluentActions.Awaiting(() => mcp.EchoAsync("anyone?"))
            .Should().ThrowAsync<HttpRequestException>()).Which;

        thrown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        thrown.Message.Should().Contain("SESSION_NOT_FOUND");
        server.Initializes.Should().Be(2, "the client's own initialize and one re-initialize: no loop");
        mcp.Wire.Count("tools/call").Should().Be(2, "the call and its one retry");
        mcp.Meter.Reinitializations("succeeded").Should().Be(1);
        mcp.Meter.Retries("failed").Should().Be(1);
    }

    [Test]
    public async Task A_server_that_keeps_answering_404_is_given_up_on_after_the_bounded_recoveries()
    {
        await using AlwaysNotFoundServer server = await AlwaysNotFoundServer.StartAsync();
        var time = new WatchedTime();
        using var handler = new SessionRecoveryHandler(new SocketsHttpHandler(), new SessionRecoveryOptions
        {
            TimeProvider = time,
            MaxConsecutiveRecoveries = 2,
            InitialBackoff = TimeSpan.FromSeconds(3),
        });
        using var http = new HttpClient(handler, disposeHandler: false);
        using HttpResponseMessage initialize = await http.SendAsync(Post(server.McpEndpoint, null,
            """{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}"""));
        string id = initialize.Headers.GetValues("Mcp-Session-Id").Single();

        using (HttpResponseMessage first = await http.SendAsync(Post(server.McpEndpoint, id, """{"jsonrpc":"2.0","id":1,"method":"ping"}""")))
        {
            first.StatusCode.Should().Be(HttpStatusCode.NotFound);
        }

        Task<HttpResponseMessage> second = http.SendAsync(Post(server.McpEndpoint, id, """{"jsonrpc":"2.0","id":2,"method":"ping"}"""));
        await time.WaitForTimerAsync(TimeSpan.FromSeconds(3));
        server.Initializes.Should().Be(2);
        time.Advance(TimeSpan.FromSeconds(3));
        using (HttpResponseMessage answered = await second.WaitAsync(TimeSpan.FromSeconds(10)))
        {
            answered.StatusCode.Should().Be(HttpStatusCode.NotFound);
        }

        using (HttpResponseMessage third = await http.SendAsync(Post(server.McpEndpoint, id, """{"jsonrpc":"2.0","id":3,"method":"ping"}""")))
        {
            third.StatusCode.Should().Be(HttpStatusCode.NotFound);
            (await third.Content.ReadAsStringAsync()).Should().Contain("SESSION_NOT_FOUND");
        }

        server.Initializes.Should().Be(3, "two recoveries, then none");
        server.NotFounds.Should().Be(5, "three requests, two of them retried once");
    }

    [Test]
    public async Task A_plain_404_from_an_MCP_server_without_Limps_is_recovered()
    {
        await using McpHost host = await McpHost.StartAsync(sessionCheck: false);
        await using RecoveringMcpClient mcp = await RecoveringMcpClient.ConnectAsync(host.McpEndpoint);
        (await mcp.EchoAsync("hello")).Should().Be("hello");

        // Another client ends the session in the MCP SDK server itself; its next answer is the SDK's bare 404.
        using (var other = new HttpClient())
        using (var delete = new HttpRequestMessage(HttpMethod.Delete, host.McpEndpoint))
        {
            delete.Headers.Add("Mcp-Session-Id", mcp.SessionId);
            (await other.SendAsync(delete)).StatusCode.Should().Be(HttpStatusCode.OK);
        }

        (await mcp.EchoAsync("hello again")).Should().Be("hello again");
        mcp.Replacements.Should().ContainSingle().Which.Reason.Should().Be(SessionLossReason.PlainNotFound);
        mcp.Meter.Lost("plain_404").Should().Be(1);
    }

    [Test]
    public async Task A_client_with_default_options_probes_with_server_discover_which_passes_through_and_still_recovers()
    {
        // A server with sessions only: a dual-era one would serve the probe, and the client would need no session.
        await using McpHost host = await McpHost.StartAsync(settings: $"{Limps.Sessions.SampleHost.SampleHostApp.SessionModeKey}=Stateful");
        await using RecoveringMcpClient mcp = await RecoveringMcpClient.ConnectAsync(host.McpEndpoint, pinProtocolVersion: false);

        WireExchange probe = mcp.Wire.Exchanges[0];
        probe.RpcMethod.Should().Be("server/discover");
        probe.SessionId.Should().BeNull();
        probe.Status.Should().Be(HttpStatusCode.BadRequest, "the stateful server refuses the sessionless protocol; the SDK falls back");
        mcp.Client.NegotiatedProtocolVersion.Should().Be(McpHost.ProtocolVersion);

        await host.IdlePastTimeoutAsync();
        (await mcp.EchoAsync("after")).Should().Be("after");
        mcp.Wire.Count("server/discover").Should().Be(1, "the probe is not part of the replay");
        mcp.Wire.Count("initialize").Should().Be(2);
        mcp.Replacements.Should().ContainSingle();
    }

    [Test]
    public async Task Disposing_the_SDK_client_after_a_replacement_deletes_the_new_session()
    {
        await using McpHost host = await McpHost.StartAsync();
        RecoveringMcpClient mcp = await RecoveringMcpClient.ConnectAsync(host.McpEndpoint);
        await host.IdlePastTimeoutAsync();
        (await mcp.EchoAsync("x")).Should().Be("x");
        string newId = mcp.LastWireSessionId!;

        await mcp.DisposeAsync();

        WireExchange delete = mcp.Wire.Exchanges[^1];
        delete.Method.Should().Be(HttpMethod.Delete);
        delete.SessionId.Should().Be(newId);
        delete.Status.Should().Be(HttpStatusCode.OK);
        SessionLookup lookup = await host.LookupAsync(newId);
        lookup.IsExpired.Should().BeTrue();
        lookup.Expiry.Reason.Should().Be(ExpiryReason.Deleted);
    }

    [Test]
    public async Task The_SDKs_standalone_GET_stream_is_reopened_on_the_new_session_when_its_session_ends()
    {
        await using McpHost host = await McpHost.StartAsync();
        await using RecoveringMcpClient mcp = await RecoveringMcpClient.ConnectAsync(
            host.McpEndpoint,
            standaloneGetStream: true,
            transport: ReconnectQuickly);
        string callerId = mcp.SessionId;
        await WaitForAsync(() => mcp.Wire.Exchanges.Any(e => e.Method == HttpMethod.Get && e.Status == HttpStatusCode.OK));

        // Another client ends the session: the server closes the stream, the SDK sends its GET again with the old id.
        using (var other = new HttpClient())
        using (var delete = new HttpRequestMessage(HttpMethod.Delete, host.McpEndpoint))
        {
            delete.Headers.Add("Mcp-Session-Id", callerId);
            (await other.SendAsync(delete)).StatusCode.Should().Be(HttpStatusCode.OK);
        }

        await WaitForAsync(() => mcp.Wire.Exchanges.Any(e =>
            e.Method == HttpMethod.Get && e.Status == HttpStatusCode.OK && e.SessionId != callerId));

        string newId = mcp.Wire.Exchanges.Last(e => e.Method == HttpMethod.Get).SessionId!;
        mcp.Wire.Exchanges.Should().Contain(e => e.Method == HttpMethod.Get && e.SessionId == callerId && e.Status == HttpStatusCode.NotFound);
        mcp.Replacements.Should().ContainSingle().Which.ExpiryReason.Should().Be("deleted");
        (await mcp.EchoAsync("on the new session")).Should().Be("on the new session");
        mcp.Wire.Exchanges[^1].SessionId.Should().Be(newId);
        mcp.Wire.Count("initialize").Should().Be(2);
    }

    private static HttpRequestMessage Post(Uri endpoint, string? sessionId, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new StringContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Accept.ParseAdd("application/json, text/event-stream");
        if (sessionId is not null)
        {
            request.Headers.Add("Mcp-Session-Id", sessionId);
        }

        return request;
    }

    // The SDK reopens a broken GET stream every 20 ms instead of every second. It gives up after MaxReconnectionAttempts
    // failures in a row (5 by default): 100 ms, less than a busy machine takes to start a host again on the same port,
    // so the attempts are allowed to run as long as WaitForAsync waits.
    private static void ReconnectQuickly(HttpClientTransportOptions transport)
    {
        transport.DefaultReconnectionInterval = TimeSpan.FromMilliseconds(20);
        transport.MaxReconnectionAttempts = 500;
    }

    /// <summary>Waits, bounded, for background work of the SDK client to show on the wire (no clock is moved).</summary>
    private static async Task WaitForAsync(Func<bool> condition)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(5, bound.Token);
        }
    }
}
