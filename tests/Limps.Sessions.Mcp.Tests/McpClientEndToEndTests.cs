using System.Net;
using System.Text.Json;
using Limps.Sessions.AspNetCore.Tests.Infrastructure;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using NodaTime;
using NodaTime.Text;

namespace Limps.Sessions.Mcp.Tests;

/// <summary>
/// The official MCP C# SDK client against the sample host on Kestrel loopback: what a real client sees across a
/// session's life (use, idle expiry, a held stream, explicit end, server restart, sweeper-driven end).
/// </summary>
public class McpClientEndToEndTests
{
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(5);
    private static readonly InstantPattern IsoMillis = InstantPattern.CreateWithInvariantCulture("uuuu-MM-dd'T'HH:mm:ss.fff'Z'");

    [Test]
    public async Task Client_lists_the_sample_tools_calls_them_and_sees_its_own_masked_session()
    {
        await using TestHost host = await StartAsync();
        await using McpTestClient mcp = await McpTestClient.ConnectAsync(host);

        IList<McpClientTool> tools = await mcp.Client.ListToolsAsync();
        tools.Select(t => t.Name).Should().Contain(["echo", "time", "session_info"]);

        (await mcp.EchoAsync("hello from the SDK")).Should().Be("hello from the SDK");
        McpTestClient.TextOf(await mcp.Client.CallToolAsync("time")).Should().Be("2026-02-11T10:00:00.000Z");

        using JsonDocument info = JsonDocument.Parse(McpTestClient.TextOf(await mcp.Client.CallToolAsync("session_info")));
        info.RootElement.GetProperty("sessionId").GetString().Should().Be(mcp.SessionId[..8] + "...");
        info.RootElement.GetProperty("createdAt").GetString().Should().Be("2026-02-11T10:00:00.000Z");
        info.RootElement.GetProperty("headerName").GetString().Should().Be("Mcp-Session-Id");

        mcp.SessionId.Should().HaveLength(22);
        (await host.LookupAsync(mcp.SessionId)).IsActive.Should().BeTrue();
        (await host.Registry.CountAsync()).Should().Be(1);
        mcp.Responses.Should().OnlyContain(r => r.Status == HttpStatusCode.OK || r.Status == HttpStatusCode.Accepted);
    }

    [Test]
    public async Task Idle_session_answers_the_client_and_raw_callers_with_404_SESSION_EXPIRED_timeout()
    {
        var requests = new ServerRequests();
        await using TestHost host = await StartAsync(requests);
        await using McpTestClient mcp = await McpTestClient.ConnectAsync(host, standaloneGetStream: false);
        string id = mcp.SessionId;

        host.Clock.Advance(Duration.FromMinutes(1));
        (await mcp.EchoAsync("still here")).Should().Be("still here");

        // The client can read the SSE answer before the server's pipeline (and Limps's lease release) has returned;
        // the release records activity at the clock's current time, so let it land before the clock moves on.
        await requests.WaitUntilIdleAsync();
        Instant lastActive = host.Clock.GetCurrentInstant();
        (await host.LookupAsync(id)).Session.LastActiveAt.Should().Be(lastActive);

        host.Clock.Advance(Duration.FromTimeSpan(IdleTimeout) + Duration.FromSeconds(1));

        // No sweep ran: the next request finds the session overdue and ends it lazily.
        HttpRequestException thrown = (await FluentActions.Awaiting(() => mcp.EchoAsync("too late"))
            .Should().ThrowAsync<HttpRequestException>()).Which;
        thrown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        thrown.Message.Should().Contain("SESSION_EXPIRED").And.Contain("timeout");

        string expectedExpiry = IsoMillis.Format(lastActive + Duration.FromTimeSpan(IdleTimeout));
        expectedExpiry.Should().Be("2026-02-11T10:06:00.000Z");

        using HttpResponseMessage raw = await host.ListToolsAsync(id);
        raw.StatusCode.Should().Be(HttpStatusCode.NotFound);
        raw.Headers.GetValues("X-Session-Expired").Should().Equal("true");
        raw.Headers.GetValues("X-Session-Expired-Reason").Should().Equal("timeout");
        raw.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        using JsonDocument body = JsonDocument.Parse(await raw.Content.ReadAsStringAsync());
        body.RootElement.GetProperty("code").GetString().Should().Be("SESSION_EXPIRED");
        body.RootElement.GetProperty("reason").GetString().Should().Be("timeout");
        body.RootElement.GetProperty("expiredAt").GetString().Should().Be(expectedExpiry);

        SessionLookup lookup = await host.LookupAsync(id);
        lookup.IsExpired.Should().BeTrue();
        lookup.Expiry.Reason.Should().Be(ExpiryReason.Timeout);
        lookup.Expiry.ExpiredAt.Should().Be(lastActive + Duration.FromTimeSpan(IdleTimeout));
        lookup.Expiry.LastActiveAt.Should().Be(lastActive);

        // Ending it lazily also released the MCP SDK's own state for it.
        (await host.SdkClosedSessions.WaitForCloseAsync(id)).Should().BeTrue();
    }

    [Test]
    public async Task Open_standalone_GET_stream_holds_the_session_past_the_idle_timeout_and_sweeps()
    {
        await using TestHost host = await StartAsync();
        await using McpTestClient mcp = await McpTestClient.ConnectAsync(host); // standalone GET stream on (the SDK default)
        string id = mcp.SessionId;

        // The SDK opens the GET in the background after initialize. Its 200 headers arrive only after Limps let the
        // GET through, and Limps holds the lease for as long as the request runs: from here on a lease is held.
        await mcp.StandaloneStreamOpened.WaitAsync(TimeSpan.FromSeconds(10));

        host.Clock.Advance(Duration.FromHours(1));
        await HostedSweeper.RunOnceAsync(host); // the hosted sweeper's timer, on the fake timer source
        (await host.Registry.SweepAsync()).Should().Be(0); // and an explicit sweep

        (await host.LookupAsync(id)).IsActive.Should().BeTrue();
        host.SdkClosedSessions.HasClosed(id).Should().BeFalse();
        (await mcp.EchoAsync("an hour later")).Should().Be("an hour later");
        (await host.LookupAsync(id)).Session.LastActiveAt.Should().Be(host.Clock.GetCurrentInstant());
    }

    [Test]
    public async Task Disposing_the_client_ends_the_session_as_deleted_and_releases_the_SDK_session()
    {
        await using TestHost host = await StartAsync();
        McpTestClient mcp = await McpTestClient.ConnectAsync(host);
        string id = mcp.SessionId;
        await mcp.StandaloneStreamOpened.WaitAsync(TimeSpan.FromSeconds(10));
        (await mcp.EchoAsync("bye")).Should().Be("bye");

        await mcp.DisposeAsync(); // sends DELETE (OwnsSession) and awaits its answer
        mcp.Responses.Should().Contain((HttpMethod.Delete, HttpStatusCode.OK));

        using HttpResponseMessage raw = await host.CallEchoAsync(id);
        raw.StatusCode.Should().Be(HttpStatusCode.NotFound);
        raw.Headers.GetValues("X-Session-Expired").Should().Equal("true");
        raw.Headers.GetValues("X-Session-Expired-Reason").Should().Equal("deleted");
        using JsonDocument body = JsonDocument.Parse(await raw.Content.ReadAsStringAsync());
        body.RootElement.GetProperty("code").GetString().Should().Be("SESSION_EXPIRED");
        body.RootElement.GetProperty("reason").GetString().Should().Be("deleted");
        body.RootElement.GetProperty("expiredAt").GetString().Should().Be("2026-02-11T10:00:00.000Z");

        (await host.SdkClosedSessions.WaitForCloseAsync(id)).Should().BeTrue();
        (await host.Registry.CountAsync()).Should().Be(0);
    }

    [Test]
    public async Task After_a_restart_the_old_id_is_SESSION_NOT_FOUND_for_raw_callers_and_a_resumed_client()
    {
        string id;
        ServerCapabilities capabilities;
        Implementation serverInfo;
        await using (TestHost hostA = await StartAsync())
        {
            await using McpTestClient first = await McpTestClient.ConnectAsync(hostA, standaloneGetStream: false, ownsSession: false);
            id = first.SessionId;
            capabilities = first.Client.ServerCapabilities;
            serverInfo = first.Client.ServerInfo!;
            (await first.EchoAsync("before restart")).Should().Be("before restart");
        }

        await using TestHost hostB = await StartAsync();

        using HttpResponseMessage raw = await hostB.CallEchoAsync(id);
        raw.StatusCode.Should().Be(HttpStatusCode.NotFound);
        raw.Headers.Contains("X-Session-Expired").Should().BeFalse();
        raw.Headers.Contains("X-Session-Expired-Reason").Should().BeFalse();
        using JsonDocument body = JsonDocument.Parse(await raw.Content.ReadAsStringAsync());
        body.RootElement.GetProperty("code").GetString().Should().Be("SESSION_NOT_FOUND");
        body.RootElement.TryGetProperty("reason", out _).Should().BeFalse();

        // A client that resumes the old session against the new server gets the same answer.
        await using McpTestClient resumed = await McpTestClient.ConnectAsync(
            hostB,
            standaloneGetStream: false,
            ownsSession: false,
            knownSessionId: id,
            resume: new ResumeClientSessionOptions
            {
                ServerCapabilities = capabilities,
                ServerInfo = serverInfo,
                NegotiatedProtocolVersion = TestHost.ProtocolVersion,
            });
        HttpRequestException thrown = (await FluentActions.Awaiting(() => resumed.EchoAsync("after restart"))
            .Should().ThrowAsync<HttpRequestException>()).Which;
        thrown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        thrown.Message.Should().Contain("SESSION_NOT_FOUND");
        (await hostB.Registry.CountAsync()).Should().Be(0);
    }

    [Test]
    public async Task Sweeper_ending_a_session_for_timeout_releases_the_SDK_session_without_any_request()
    {
        var requests = new ServerRequests();
        await using TestHost host = await StartAsync(requests);
        await using McpTestClient mcp = await McpTestClient.ConnectAsync(host, standaloneGetStream: false);
        string id = mcp.SessionId;
        (await mcp.EchoAsync("last words")).Should().Be("last words");
        await requests.WaitUntilIdleAsync();

        host.Clock.Advance(Duration.FromTimeSpan(IdleTimeout) + Duration.FromSeconds(1));
        host.SdkClosedSessions.HasClosed(id).Should().BeFalse();
        await HostedSweeper.RunOnceAsync(host);

        (await host.SdkClosedSessions.WaitForCloseAsync(id)).Should().BeTrue();
        SessionLookup lookup = await host.LookupAsync(id);
        lookup.IsExpired.Should().BeTrue();
        lookup.Expiry.Reason.Should().Be(ExpiryReason.Timeout);
        lookup.Expiry.ExpiredAt.Should().Be(TestHost.Start + Duration.FromTimeSpan(IdleTimeout));

        HttpRequestException thrown = (await FluentActions.Awaiting(() => mcp.EchoAsync("hello?"))
            .Should().ThrowAsync<HttpRequestException>()).Which;
        thrown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        thrown.Message.Should().Contain("SESSION_EXPIRED").And.Contain("timeout");
    }

    private static Task<TestHost> StartAsync(ServerRequests? requests = null) =>
        TestHost.StartAsync(kestrel: true, options: o => o.IdleTimeout = IdleTimeout, configure: builder =>
        {
            HostedSweeper.EnableSweepLogs(builder);
            requests?.Install(builder);
        });
}
