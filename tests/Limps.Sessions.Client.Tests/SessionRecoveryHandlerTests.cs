using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Limps.Sessions.Client.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Limps.Sessions.Client.Tests;

/// <summary>The handler against a scripted in-memory server: id tracking and rewriting, recovery, limits, time.</summary>
public class SessionRecoveryHandlerTests
{
    [Test]
    public async Task A_tracked_session_passes_through_unchanged_while_the_server_accepts_it()
    {
        using var h = new Harness();
        string id = await h.ConnectAsync();

        using HttpResponseMessage response = await h.CallAsync(id);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Headers.GetValues("Mcp-Session-Id").Should().Equal(id);
        h.Server.Requests.Select(r => (r.RpcMethod, r.SessionId)).Should().Equal(
            ("initialize", (string?)null), ("notifications/initialized", id), ("tools/call", id));
        h.Replacements.Should().BeEmpty();
        h.Meter.Lost().Should().Be(0);
    }

    [Test]
    public async Task An_expired_session_is_reinitialized_once_and_the_request_retried_on_the_new_id()
    {
        using var h = new Harness();
        string id = await h.ConnectAsync();
        h.Server.End(id, "timeout");

        using HttpRequestMessage call = h.Call(id);
        string callBody = await call.Content!.ReadAsStringAsync();
        using HttpResponseMessage response = await h.Client.SendAsync(call);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        string newId = h.Server.IssuedIds[1];
        (await response.Content.ReadAsStringAsync()).Should().Contain(newId, "the retry ran on the new session");
        response.Headers.GetValues("Mcp-Session-Id").Should().Equal([id], "the caller is shown the id it knows");
        call.Headers.GetValues("Mcp-Session-Id").Should().Equal([id], "the caller's request message keeps its id");

        IReadOnlyList<ReceivedRequest> wire = h.Server.Requests;
        wire.Select(r => (r.Method.Method, r.RpcMethod, r.SessionId)).Skip(2).Should().Equal(
            ("POST", "tools/call", id),
            ("POST", "initialize", null),
            ("POST", "notifications/initialized", newId),
            ("POST", "tools/call", newId));
        wire[3].BodyText.Should().Be(Harness.InitializeBody, "the initialize is replayed byte for byte");
        wire[4].BodyText.Should().Be(Harness.InitializedBody);
        wire[5].BodyText.Should().Be(callBody, "the failed request is retried unchanged");
        wire[5].ContentType.Should().Be("application/json; charset=utf-8");
        wire[5].Header("Accept").Should().Be("application/json,text/event-stream");

        SessionReplacedEventArgs replaced = h.Replacements.Should().ContainSingle().Subject;
        replaced.CallerSessionId.Should().Be(id[..8] + "...");
        replaced.PreviousSessionId.Should().Be(id[..8] + "...");
        replaced.NewSessionId.Should().Be(newId[..8] + "...");
        replaced.Reason.Should().Be(SessionLossReason.Expired);
        replaced.ExpiryReason.Should().Be("timeout");
        replaced.Replacements.Should().Be(1);

        h.Meter.Lost("expired").Should().Be(1);
        h.Meter.Reinitializations("succeeded").Should().Be(1);
        h.Meter.ReinitializationsFor("expired").Should().Be(1);
        h.Meter.Retries("succeeded").Should().Be(1);
    }

    [Test]
    public async Task Later_requests_carry_the_new_id_and_a_second_loss_is_recovered_again()
    {
        using var h = new Harness();
        string id = await h.ConnectAsync();
        h.Server.End(id);
        (await h.CallAsync(id)).EnsureSuccessStatusCode();
        string second = h.Server.IssuedIds[1];

        using (HttpResponseMessage later = await h.CallAsync(id))
        {
            later.EnsureSuccessStatusCode();
            h.Server.Requests[^1].SessionId.Should().Be(second);
        }

        h.Server.End(second, "deleted");
        using HttpResponseMessage again = await h.CallAsync(id);

        again.EnsureSuccessStatusCode();
        string third = h.Server.IssuedIds[2];
        h.Server.Requests[^1].SessionId.Should().Be(third);
        h.Replacements.Should().HaveCount(2);
        h.Replacements[1].PreviousSessionId.Should().Be(second[..8] + "...");
        h.Replacements[1].NewSessionId.Should().Be(third[..8] + "...");
        h.Replacements[1].CallerSessionId.Should().Be(id[..8] + "...");
        h.Replacements[1].ExpiryReason.Should().Be("deleted");
        h.Replacements[1].Replacements.Should().Be(2);
        h.Server.Count("initialize").Should().Be(3);
    }

    [TestCase(NotFoundStyle.Limps, false, SessionLossReason.NotFound, null)]
    [TestCase(NotFoundStyle.Limps, true, SessionLossReason.Expired, "closed")]
    [TestCase(NotFoundStyle.LimpsJsonRpc, false, SessionLossReason.NotFound, null)]
    [TestCase(NotFoundStyle.LimpsJsonRpc, true, SessionLossReason.Expired, "closed")]
    [TestCase(NotFoundStyle.Plain, true, SessionLossReason.PlainNotFound, null)]
    public async Task The_reason_is_read_from_Limps_headers_and_bodies_or_is_a_plain_404(
        NotFoundStyle style, bool ended, SessionLossReason reason, string? expiryReason)
    {
        using var h = new Harness();
        h.Server.NotFound = style;
        string id = await h.ConnectAsync();
        if (ended)
        {
            h.Server.End(id, "closed");
        }
        else
        {
            h.Server.Restart();
        }

        using HttpResponseMessage response = await h.CallAsync(id);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        SessionReplacedEventArgs replaced = h.Replacements.Should().ContainSingle().Subject;
        replaced.Reason.Should().Be(reason);
        replaced.ExpiryReason.Should().Be(expiryReason);
    }

    [Test]
    public async Task With_plain_404_recovery_off_a_plain_404_is_returned_untouched()
    {
        using var h = new Harness(o => o.RecoverFromPlainNotFound = false);
        h.Server.NotFound = NotFoundStyle.Plain;
        string id = await h.ConnectAsync();
        h.Server.Restart();

        using HttpResponseMessage response = await h.CallAsync(id);

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await response.Content.ReadAsStringAsync()).Should().Contain("Session not found");
        h.Server.Count("initialize").Should().Be(1);
        h.Meter.Lost("plain_404").Should().Be(1);
        h.Meter.Reinitializations().Should().Be(0);
    }

    [Test]
    public async Task With_plain_404_recovery_off_Limps_404s_are_still_recovered()
    {
        using var h = new Harness(o => o.RecoverFromPlainNotFound = false);
        string id = await h.ConnectAsync();
        h.Server.Restart();

        using HttpResponseMessage response = await h.CallAsync(id);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        h.Replacements.Should().ContainSingle().Which.Reason.Should().Be(SessionLossReason.NotFound);
    }

    [Test]
    public async Task A_retry_answered_404_again_returns_the_original_404_after_one_reinitialize()
    {
        using var h = new Harness();
        string id = await h.ConnectAsync();
        h.Server.End(id, "timeout");
        h.Server.Override = r => r.RpcMethod == "tools/call" && r.SessionId != id
            ? ScriptedServer.Json(HttpStatusCode.NotFound, """{"code":"SESSION_NOT_FOUND","retry":true}""")
            : null;

        using HttpResponseMessage response = await h.CallAsync(id);

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        string body = await response.Content.ReadAsStringAsync();
        body.Should().Contain("SESSION_EXPIRED", "the original answer is returned, body intact")
            .And.NotContain("retry");
        response.Headers.GetValues("X-Session-Expired-Reason").Should().Equal("timeout");
        h.Server.Count("initialize").Should().Be(2, "one initialize of the caller, one re-initialize, no loop");
        h.Server.Count("tools/call").Should().Be(2);
        h.Meter.Retries("failed").Should().Be(1);
        h.LogMessages.Should().Contain(m => m.Contains("retry on the new session", StringComparison.Ordinal));
    }

    [TestCase(HttpStatusCode.ServiceUnavailable)]
    [TestCase(HttpStatusCode.NotFound)]
    [TestCase(HttpStatusCode.Unauthorized)]
    public async Task A_rejected_reinitialize_returns_the_original_404_and_retries_nothing(HttpStatusCode status)
    {
        using var h = new Harness();
        string id = await h.ConnectAsync();
        h.Server.End(id, "timeout");
        h.Server.Override = r => r.RpcMethod == "initialize" ? ScriptedServer.Json(status, "{}") : null;

        using HttpResponseMessage response = await h.CallAsync(id);

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await response.Content.ReadAsStringAsync()).Should().Contain("SESSION_EXPIRED");
        h.Server.Count("tools/call").Should().Be(1);
        h.Meter.Reinitializations("failed").Should().Be(1);
        h.Meter.Reinitializations("succeeded").Should().Be(0);
        h.Replacements.Should().BeEmpty();
    }

    [Test]
    public async Task An_initialize_answered_with_a_JSON_RPC_error_fails_and_the_new_session_is_deleted()
    {
        using var h = new Harness();
        string id = await h.ConnectAsync();
        h.Server.End(id);
        h.Server.Override = r =>
        {
            if (r.RpcMethod != "initialize")
            {
                return null;
            }

            HttpResponseMessage error = ScriptedServer.Json(HttpStatusCode.OK,
                """{"jsonrpc":"2.0","id":0,"error":{"code":-32602,"message":"Unsupported protocol version"}}""");
            error.Headers.TryAddWithoutValidation("Mcp-Session-Id", "orphan-session-id");
            return error;
        };

        using HttpResponseMessage response = await h.CallAsync(id);

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        h.Server.Requests.Should().Contain(r => r.Method == HttpMethod.Delete && r.SessionId == "orphan-session-id");
        h.Server.Count("tools/call").Should().Be(1);
    }

    [Test]
    public async Task A_new_session_on_another_protocol_version_is_not_used()
    {
        using var h = new Harness();
        string id = await h.ConnectAsync();
        h.Server.End(id);
        h.Server.ProtocolVersion = "2025-06-18";

        using HttpResponseMessage response = await h.CallAsync(id);

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        string orphan = h.Server.IssuedIds[1];
        h.Server.Requests.Should().Contain(r => r.Method == HttpMethod.Delete && r.SessionId == orphan);
        h.Server.IsLive(orphan).Should().BeFalse();
        h.LogMessages.Should().Contain(m => m.Contains("protocol version 2025-06-18", StringComparison.Ordinal));
    }

    [Test]
    public async Task An_SSE_initialize_answer_is_read_up_to_its_result()
    {
        using var h = new Harness();
        h.Server.SseInitialize = true;
        string id = await h.ConnectAsync();
        h.Server.End(id);

        using HttpResponseMessage response = await h.CallAsync(id);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        h.Replacements.Should().ContainSingle();
    }

    [Test]
    public async Task Repeated_failures_back_off_on_the_time_provider_then_surface_without_reinitializing()
    {
        using var h = new Harness(o =>
        {
            o.InitialBackoff = TimeSpan.FromSeconds(1);
            o.MaxBackoff = TimeSpan.FromSeconds(30);
            o.MaxConsecutiveRecoveries = 3;
        });
        string id = await h.ConnectAsync();
        // Every new session is gone at once: the re-initialize works, the retry does not.
        h.Server.Override = r => r.RpcMethod == "tools/call"
            ? ScriptedServer.Json(HttpStatusCode.NotFound, """{"code":"SESSION_NOT_FOUND"}""")
            : null;

        // 1st recovery: at once.
        (await h.CallAsync(id)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        h.Server.Count("initialize").Should().Be(2);

        // 2nd: waits InitialBackoff on the fake time before it sends anything.
        Task<HttpResponseMessage> second = h.CallAsync(id);
        await h.Time.WaitForTimerAsync(TimeSpan.FromSeconds(1));
        h.Time.Advance(TimeSpan.FromMilliseconds(999));
        second.IsCompleted.Should().BeFalse();
        h.Server.Count("initialize").Should().Be(2);
        h.Time.Advance(TimeSpan.FromMilliseconds(1));
        (await second.WaitAsync(TimeSpan.FromSeconds(10))).StatusCode.Should().Be(HttpStatusCode.NotFound);
        h.Server.Count("initialize").Should().Be(3);

        // 3rd: twice as long.
        Task<HttpResponseMessage> third = h.CallAsync(id);
        await h.Time.WaitForTimerAsync(TimeSpan.FromSeconds(2));
        h.Time.Advance(TimeSpan.FromSeconds(1));
        third.IsCompleted.Should().BeFalse();
        h.Time.Advance(TimeSpan.FromSeconds(1));
        (await third.WaitAsync(TimeSpan.FromSeconds(10))).StatusCode.Should().Be(HttpStatusCode.NotFound);
        h.Server.Count("initialize").Should().Be(4);

        // 4th: the limit is reached; the 404 comes back at once, nothing is re-initialized.
        using HttpResponseMessage fourth = await h.CallAsync(id).WaitAsync(TimeSpan.FromSeconds(10));
        fourth.StatusCode.Should().Be(HttpStatusCode.NotFound);
        h.Server.Count("initialize").Should().Be(4);
        h.Meter.Reinitializations("succeeded").Should().Be(3);
        h.Meter.Retries("failed").Should().Be(3);
        h.LogMessages.Should().Contain(m => m.Contains("3 recoveries in a row", StringComparison.Ordinal));
    }

    [Test]
    public void The_backoff_doubles_up_to_its_maximum()
    {
        var options = new SessionRecoveryOptions { InitialBackoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(5) };

        Enumerable.Range(0, 6).Select(options.BackoffBefore).Should().Equal(
            TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4),
            TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
        options.BackoffBefore(int.MaxValue).Should().Be(TimeSpan.FromSeconds(5));
    }

    [Test]
    public async Task A_successful_request_resets_the_backoff()
    {
        using var h = new Harness();
        string id = await h.ConnectAsync();
        bool failRetries = true;
        h.Server.Override = r => failRetries && r.RpcMethod == "tools/call" && r.SessionId != id
            ? ScriptedServer.Json(HttpStatusCode.NotFound, """{"code":"SESSION_NOT_FOUND"}""")
            : null;
        h.Server.End(id);
        (await h.CallAsync(id)).StatusCode.Should().Be(HttpStatusCode.NotFound); // one recovery that did not help

        failRetries = false;
        (await h.CallAsync(id)).StatusCode.Should().Be(HttpStatusCode.OK);       // the current session works

        h.Server.End(h.Server.IssuedIds[1]);
        using HttpResponseMessage next = await h.CallAsync(id).WaitAsync(TimeSpan.FromSeconds(10));
        next.StatusCode.Should().Be(HttpStatusCode.OK, "the recovery after a success starts without waiting");
        h.Time.TimersCreated.Should().NotContain(TimeSpan.FromSeconds(1));
    }

    [Test]
    public async Task Requests_that_fail_together_share_one_reinitialize()
    {
        using var h = new Harness();
        string id = await h.ConnectAsync();
        h.Server.End(id);
        h.Server.InitializeGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        Task<HttpResponseMessage>[] calls = [.. Enumerable.Range(0, 20).Select(_ => h.CallAsync(id))];
        using (var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            while (h.Server.Requests.Count(r => r.RpcMethod == "tools/call") < 20)
            {
                await Task.Delay(2, bound.Token);
            }
        }

        h.Server.InitializeGate.SetResult();
        HttpResponseMessage[] responses = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(10));

        responses.Should().OnlyContain(r => r.StatusCode == HttpStatusCode.OK);
        h.Server.Count("initialize").Should().Be(2);
        h.Server.Count("notifications/initialized").Should().Be(2);
        string newId = h.Server.IssuedIds[1];
        h.Server.Requests.Where(r => r.RpcMethod == "tools/call").Should().HaveCount(40)
            .And.Subject.Count(r => r.SessionId == newId).Should().Be(20);
        h.Replacements.Should().ContainSingle();
        h.Meter.Lost().Should().Be(20);
        h.Meter.Reinitializations().Should().Be(1);
        h.Meter.Retries("succeeded").Should().Be(20);
        foreach (HttpResponseMessage response in responses)
        {
            response.Dispose();
        }
    }

    [Test]
    public async Task A_404_for_an_id_already_replaced_is_retried_on_the_current_id_without_reinitializing()
    {
        using var h = new Harness();
        string id = await h.ConnectAsync();
        h.Server.End(id);
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int slowCalls = 0;
        h.Server.Override = r =>
        {
            if (r.RpcMethod == "tools/call" && r.SessionId == id && Interlocked.Increment(ref slowCalls) == 1)
            {
                held.Task.Wait(TimeSpan.FromSeconds(10)); // this 404 arrives after another request recovered
            }

            return null;
        };

        Task<HttpResponseMessage> slow = Task.Run(() => h.CallAsync(id));
        using (var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            while (Volatile.Read(ref slowCalls) == 0)
            {
                await Task.Delay(2, bound.Token);
            }
        }

        (await h.CallAsync(id)).StatusCode.Should().Be(HttpStatusCode.OK); // recovers: id -> new
        held.SetResult();
        using HttpResponseMessage late = await slow.WaitAsync(TimeSpan.FromSeconds(10));

        late.StatusCode.Should().Be(HttpStatusCode.OK);
        h.Server.Requests[^1].SessionId.Should().Be(h.Server.IssuedIds[1]);
        h.Server.Count("initialize").Should().Be(2);
        h.Replacements.Should().ContainSingle();
    }

    [Test]
    public async Task A_failed_GET_stream_is_reopened_on_the_new_session_without_its_Last_Event_ID()
    {
        using var h = new Harness();
        string id = await h.ConnectAsync();
        h.Server.End(id, "closed");
        using var get = new HttpRequestMessage(HttpMethod.Get, "mcp");
        get.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        get.Headers.TryAddWithoutValidation("Mcp-Session-Id", id);
        get.Headers.TryAddWithoutValidation("Last-Event-ID", "41");

        using HttpResponseMessage response = await h.Client.SendAsync(get, HttpCompletionOption.ResponseHeadersRead);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/event-stream");
        response.Headers.GetValues("Mcp-Session-Id").Should().Equal(id);
        ReceivedRequest reopened = h.Server.Requests[^1];
        reopened.Method.Should().Be(HttpMethod.Get);
        reopened.SessionId.Should().Be(h.Server.IssuedIds[1]);
        reopened.Header("Accept").Should().Be("text/event-stream");
        reopened.Header("Last-Event-ID").Should().BeNull();
        h.Replacements.Should().ContainSingle().Which.ExpiryReason.Should().Be("closed");
    }

    [Test]
    public async Task A_DELETE_answered_404_is_returned_and_the_session_forgotten()
    {
        using var h = new Harness();
        string id = await h.ConnectAsync();
        h.Server.End(id, "timeout");

        using (var delete = new HttpRequestMessage(HttpMethod.Delete, "mcp"))
        {
            delete.Headers.TryAddWithoutValidation("Mcp-Session-Id", id);
            using HttpResponseMessage response = await h.Client.SendAsync(delete);
            response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        }

        h.Server.Count("initialize").Should().Be(1);
        using HttpResponseMessage after = await h.CallAsync(id);
        after.StatusCode.Should().Be(HttpStatusCode.NotFound, "a forgotten session is no longer recovered");
        h.Server.Count("initialize").Should().Be(1);
    }

    [Test]
    public async Task A_DELETE_after_a_replacement_ends_the_new_session_and_forgets_it()
    {
        using var h = new Harness();
        string id = await h.ConnectAsync();
        h.Server.End(id);
        (await h.CallAsync(id)).EnsureSuccessStatusCode();
        string newId = h.Server.IssuedIds[1];

        using (var delete = new HttpRequestMessage(HttpMethod.Delete, "mcp"))
        {
            delete.Headers.TryAddWithoutValidation("Mcp-Session-Id", id);
            using HttpResponseMessage response = await h.Client.SendAsync(delete);
            response.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        h.Server.Requests[^1].SessionId.Should().Be(newId);
        h.Server.IsLive(newId).Should().BeFalse();
        using HttpResponseMessage after = await h.CallAsync(id);
        after.StatusCode.Should().Be(HttpStatusCode.NotFound);
        h.Server.Requests[^1].SessionId.Should().Be(id, "an untracked id passes through as the caller sent it");
    }

    [Test]
    public async Task Requests_the_handler_did_not_see_start_pass_through_untouched()
    {
        using var h = new Harness();

        // The SDK's discovery probe (no id) and a resumed session's request (an id from elsewhere).
        using (HttpResponseMessage probe = await h.Client.SendAsync(Harness.Post(null,
                   """{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{}}""", "2026-07-28")))
        {
            probe.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        }

        using HttpResponseMessage unknown = await h.CallAsync("resumed-elsewhere-0001");

        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await unknown.Content.ReadAsStringAsync()).Should().Contain("SESSION_NOT_FOUND");
        h.Server.Count("initialize").Should().Be(0);
        h.Meter.Lost().Should().Be(0);
    }

    [Test]
    public async Task An_initialize_answered_without_an_id_is_not_tracked()
    {
        using var h = new Harness();
        h.Server.Override = r => r.RpcMethod == "initialize"
            ? ScriptedServer.Json(HttpStatusCode.OK, """{"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-11-25"}}""")
            : null;

        using HttpResponseMessage initialized = await h.Client.SendAsync(Harness.Post(null, Harness.InitializeBody, null));

        initialized.Headers.Contains("Mcp-Session-Id").Should().BeFalse();
        h.LogMessages.Should().BeEmpty();
    }

    [Test]
    public async Task Without_a_notifications_initialized_seen_only_the_initialize_is_replayed()
    {
        using var h = new Harness();
        string id = await h.ConnectAsync(sendInitialized: false);
        h.Server.End(id);

        using HttpResponseMessage response = await h.CallAsync(id);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        h.Server.Count("notifications/initialized").Should().Be(0);
    }

    [Test]
    public async Task The_replayed_initialize_keeps_its_own_headers_but_takes_fresh_credentials_from_the_failed_request()
    {
        using var h = new Harness();
        using (HttpRequestMessage initialize = Harness.Post(null, Harness.InitializeBody, protocolVersion: null))
        {
            initialize.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "token-1");
            initialize.Headers.TryAddWithoutValidation("X-Client", "sample");
            initialize.Headers.TryAddWithoutValidation("Mcp-Method", "initialize");
            initialize.Headers.TryAddWithoutValidation("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
            using HttpResponseMessage answer = await h.Client.SendAsync(initialize);
        }

        string id = h.Server.IssuedIds[0];
        h.Server.End(id);
        using HttpRequestMessage call = h.Call(id);
        call.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "token-2");
        call.Headers.TryAddWithoutValidation("Mcp-Method", "tools/call");

        using HttpResponseMessage response = await h.Client.SendAsync(call);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        ReceivedRequest replay = h.Server.Initializes.Last();
        replay.SessionId.Should().BeNull();
        replay.Header("Authorization").Should().Be("Bearer token-2");
        replay.Header("X-Client").Should().Be("sample");
        replay.Header("Mcp-Method").Should().Be("initialize");
        replay.Header("MCP-Protocol-Version").Should().BeNull("the caller's initialize had none");
        replay.Header("traceparent").Should().BeNull("tracing context belongs to the original request");
        h.Server.Requests[^1].Header("Authorization").Should().Be("Bearer token-2");
        h.Server.Requests[^1].Header("Mcp-Method").Should().Be("tools/call");
    }

    [Test]
    public async Task A_caller_that_cancels_during_the_backoff_leaves_and_the_recovery_still_completes()
    {
        using var h = new Harness();
        string id = await h.ConnectAsync();
        h.Server.End(id);
        h.Server.Override = r => r.RpcMethod == "initialize" && h.Server.Count("initialize") == 2
            ? ScriptedServer.Json(HttpStatusCode.ServiceUnavailable, "{}")
            : null;
        (await h.CallAsync(id)).StatusCode.Should().Be(HttpStatusCode.NotFound); // one failed recovery: the next waits 1 s

        using var cancel = new CancellationTokenSource();
        Task<HttpResponseMessage> leaving = h.CallAsync(id, cancel.Token);
        await h.Time.WaitForTimerAsync(TimeSpan.FromSeconds(1));
        await cancel.CancelAsync();
        await FluentActions.Awaiting(() => leaving).Should().ThrowAsync<OperationCanceledException>();

        h.Time.Advance(TimeSpan.FromSeconds(1));
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (h.Replacements.Count == 0)
        {
            await Task.Delay(2, bound.Token);
        }

        using HttpResponseMessage next = await h.CallAsync(id);
        next.StatusCode.Should().Be(HttpStatusCode.OK);
        h.Server.Requests[^1].SessionId.Should().Be(h.Server.IssuedIds[1]);
    }

    [Test]
    public async Task A_reinitialize_that_hangs_times_out_on_the_time_provider_and_the_404_is_returned()
    {
        using var h = new Harness(o => o.ReinitializeTimeout = TimeSpan.FromSeconds(7));
        string id = await h.ConnectAsync();
        h.Server.End(id);
        h.Server.InitializeGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        Task<HttpResponseMessage> call = h.CallAsync(id);
        await h.Time.WaitForTimerAsync(TimeSpan.FromSeconds(7));
        call.IsCompleted.Should().BeFalse();
        h.Time.Advance(TimeSpan.FromSeconds(7));
        using HttpResponseMessage response = await call.WaitAsync(TimeSpan.FromSeconds(10));

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        h.Meter.Reinitializations("failed").Should().Be(1);
        h.Logger.Collector.GetSnapshot().Should().Contain(r => r.Id.Name == "ReinitializeFailed" && r.Exception is OperationCanceledException);
    }

    [Test]
    public async Task A_throwing_SessionReplaced_subscriber_is_logged_and_the_request_still_succeeds()
    {
        using var h = new Harness();
        h.Handler.SessionReplaced += (_, _) => throw new InvalidOperationException("subscriber bug");
        string id = await h.ConnectAsync();
        h.Server.End(id);

        using HttpResponseMessage response = await h.CallAsync(id);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        h.Replacements.Should().ContainSingle("the other subscriber still ran");
        h.Logger.Collector.GetSnapshot().Should().Contain(r =>
            r.Id.Name == "SessionReplacedHandlerFailed" && r.Level == LogLevel.Error && r.Exception!.Message == "subscriber bug");
    }

    [Test]
    public async Task A_SessionReplaced_subscriber_can_send_on_the_new_session_at_once()
    {
        using var h = new Harness();
        Task<HttpResponseMessage>? restore = null;
        string id = await h.ConnectAsync();
        h.Handler.SessionReplaced += (_, _) => restore = h.Client.SendAsync(Harness.Post(id,
            """{"jsonrpc":"2.0","id":99,"method":"resources/subscribe","params":{"uri":"file:///a"}}"""));
        h.Server.End(id);

        using HttpResponseMessage response = await h.CallAsync(id);
        using HttpResponseMessage restored = await restore!.WaitAsync(TimeSpan.FromSeconds(10));

        restored.StatusCode.Should().Be(HttpStatusCode.OK);
        h.Server.Requests.Single(r => r.RpcMethod == "resources/subscribe").SessionId.Should().Be(h.Server.IssuedIds[1]);
        h.Server.Count("initialize").Should().Be(2);
    }

    [Test]
    public async Task Logs_show_masked_ids_only()
    {
        using var h = new Harness(o => o.MaxConsecutiveRecoveries = 1);
        string id = await h.ConnectAsync();
        h.Server.End(id);
        (await h.CallAsync(id)).EnsureSuccessStatusCode();
        h.Server.Override = r => r.RpcMethod == "tools/call" ? ScriptedServer.Json(HttpStatusCode.NotFound, "{}") : null;
        (await h.CallAsync(id)).StatusCode.Should().Be(HttpStatusCode.NotFound); // recovered, retry 404: returned
        (await h.CallAsync(id)).StatusCode.Should().Be(HttpStatusCode.NotFound);

        IReadOnlyList<Microsoft.Extensions.Logging.Testing.FakeLogRecord> records = h.Logger.Collector.GetSnapshot();
        records.Select(r => r.Id.Name).Should().Contain(["SessionTracked", "SessionLost", "SessionReplaced", "RetryFailed", "RecoveryGivenUp"]);
        string everything = string.Join("\n", records.Select(r =>
            r.Message + " " + string.Join(" ", r.StructuredState?.Select(s => s.Value) ?? [])));
        foreach (string issued in h.Server.IssuedIds)
        {
            everything.Should().NotContain(issued);
            everything.Should().Contain(issued[..8] + "...");
        }
    }

    [Test]
    public async Task Tracked_sessions_are_bounded_and_the_oldest_is_forgotten()
    {
        using var h = new Harness(o => o.MaxTrackedSessions = 2);
        string first = await h.ConnectAsync();
        string second = await h.ConnectAsync();
        string third = await h.ConnectAsync();
        h.Server.Restart();

        (await h.CallAsync(first)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await h.CallAsync(second)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await h.CallAsync(third)).StatusCode.Should().Be(HttpStatusCode.OK);
        h.Replacements.Should().HaveCount(2);
    }

    [Test]
    public async Task A_large_body_is_retried_byte_for_byte()
    {
        using var h = new Harness();
        string id = await h.ConnectAsync();
        h.Server.End(id);
        string payload = new('x', 300_000);
        string body = JsonSerializer.Serialize(new
        {
            jsonrpc = "2.0", id = 7, method = "tools/call",
            @params = new { name = "echo", arguments = new { message = payload } },
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "mcp")
        {
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(body))),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("Mcp-Session-Id", id);

        using HttpResponseMessage response = await h.Client.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        ReceivedRequest retried = h.Server.Requests[^1];
        retried.SessionId.Should().Be(h.Server.IssuedIds[1]);
        retried.BodyText.Should().Be(body);
        retried.ContentType.Should().Be("application/json");
    }

    [Test]
    public async Task The_synchronous_send_path_recovers_too()
    {
        using var h = new Harness();
        string id = await h.ConnectAsync();
        h.Server.End(id);

        using HttpResponseMessage response = await Task.Run(() => h.Client.Send(h.Call(id)));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        h.Replacements.Should().ContainSingle();
    }

    [Test]
    public async Task A_disposed_handler_refuses_requests()
    {
        var h = new Harness();
        string id = await h.ConnectAsync();
        h.Dispose();

        using var invoker = new HttpMessageInvoker(h.Handler, disposeHandler: false);
        await FluentActions.Awaiting(() => invoker.SendAsync(h.Call(id), CancellationToken.None))
            .Should().ThrowAsync<ObjectDisposedException>();
    }

    [Test]
    public async Task Recovery_can_be_switched_off()
    {
        using var h = new Harness(o => o.MaxConsecutiveRecoveries = 0);
        string id = await h.ConnectAsync();
        h.Server.End(id);

        using HttpResponseMessage response = await h.CallAsync(id);

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        h.Server.Count("initialize").Should().Be(1);
        h.Logger.Collector.GetSnapshot().Should().NotContain(r => r.Id.Name == "RecoveryGivenUp");
    }

    [Test]
    public async Task Without_an_inner_handler_it_works_under_a_pipeline_that_sets_one()
    {
        using var server = new ScriptedServer();
        using var handler = new SessionRecoveryHandler(new SessionRecoveryOptions(), logger: null, meterFactory: null);
        handler.InnerHandler.Should().BeNull("IHttpClientFactory requires a handler without one");
        handler.InnerHandler = server;
        using var client = new HttpClient(handler) { BaseAddress = new Uri("http://mcp.test/") };

        using HttpResponseMessage initialize = await client.SendAsync(Harness.Post(null, Harness.InitializeBody, null));
        string id = initialize.Headers.GetValues("Mcp-Session-Id").Single();
        server.End(id);
        using HttpResponseMessage response = await client.SendAsync(Harness.Post(id, """{"jsonrpc":"2.0","id":1,"method":"ping"}"""));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        server.Requests[^1].SessionId.Should().Be(server.IssuedIds[1]);
    }

    [TestCase(nameof(SessionRecoveryOptions.MaxConsecutiveRecoveries))]
    [TestCase(nameof(SessionRecoveryOptions.InitialBackoff))]
    [TestCase(nameof(SessionRecoveryOptions.MaxBackoff))]
    [TestCase(nameof(SessionRecoveryOptions.ReinitializeTimeout))]
    [TestCase(nameof(SessionRecoveryOptions.MaxTrackedSessions))]
    public void Out_of_range_options_are_refused_naming_the_option(string option)
    {
        var options = new SessionRecoveryOptions();
        switch (option)
        {
            case nameof(SessionRecoveryOptions.MaxConsecutiveRecoveries): options.MaxConsecutiveRecoveries = -1; break;
            case nameof(SessionRecoveryOptions.InitialBackoff): options.InitialBackoff = TimeSpan.FromSeconds(-1); break;
            case nameof(SessionRecoveryOptions.MaxBackoff): options.MaxBackoff = TimeSpan.FromMilliseconds(10); break;
            case nameof(SessionRecoveryOptions.ReinitializeTimeout): options.ReinitializeTimeout = TimeSpan.Zero; break;
            default: options.MaxTrackedSessions = 0; break;
        }

        FluentActions.Invoking(() => new SessionRecoveryHandler(options, logger: null, meterFactory: null).Dispose())
            .Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be(option);
    }

    [Test]
    public async Task Options_are_read_once_when_the_handler_is_created()
    {
        var options = new SessionRecoveryOptions();
        using var server = new ScriptedServer();
        using var handler = new SessionRecoveryHandler(server, options);
        using var client = new HttpClient(handler) { BaseAddress = new Uri("http://mcp.test/") };
        options.MaxConsecutiveRecoveries = 0; // too late: the handler took a copy

        using HttpResponseMessage initialize = await client.SendAsync(Harness.Post(null, Harness.InitializeBody, null));
        string id = initialize.Headers.GetValues("Mcp-Session-Id").Single();
        server.End(id);
        using HttpResponseMessage response = await client.SendAsync(Harness.Post(id, """{"jsonrpc":"2.0","id":1,"method":"ping"}"""));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [TestCase("abcdefghijklmnopqrstuv", "abcdefgh...")]
    [TestCase("abcdefgh", "abcd...")]
    [TestCase("ab", "a...")]
    [TestCase("a", "...")]
    [TestCase("", "")]
    public void Ids_are_masked_to_at_most_8_characters_and_never_more_than_half(string id, string masked) =>
        SessionIdMask.Mask(id).Should().Be(masked);
}
