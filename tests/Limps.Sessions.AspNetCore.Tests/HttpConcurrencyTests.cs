using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Limps.Sessions.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using NodaTime;

namespace Limps.Sessions.AspNetCore.Tests;

/// <summary>Many sessions at once, and sessions ending (DELETE, idle timeout, sweeps) while their requests are in flight.</summary>
public class HttpConcurrencyTests
{
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(5);

    [Test]
    public async Task Twenty_SDK_clients_in_parallel_each_get_their_own_session_and_DELETE_ends_each_as_deleted()
    {
        const int Clients = 20;
        const int CallsPerClient = 5;
        await using TestHost host = await TestHost.StartAsync(options: o => o.IdleTimeout = IdleTimeout);

        McpTestClient[] clients = await Task.WhenAll(Enumerable.Range(0, Clients).Select(i =>
            McpTestClient.ConnectAsync(host, standaloneGetStream: true, user: i % 2 == 0 ? $"user-{i}" : null)));
        try
        {
            await Task.WhenAll(clients.Select(async (client, i) =>
            {
                (await client.Client.ListToolsAsync()).Select(t => t.Name).Should().Contain("echo");
                string[] echoes = await Task.WhenAll(Enumerable.Range(0, CallsPerClient).Select(n => client.EchoAsync($"client {i} call {n}")));
                echoes.Should().Equal(Enumerable.Range(0, CallsPerClient).Select(n => $"client {i} call {n}"));
            }));

            clients.Select(c => c.SessionId).Should().OnlyHaveUniqueItems();
            (await host.Registry.CountAsync()).Should().Be(Clients);
            foreach (McpTestClient client in clients)
            {
                (await host.LookupAsync(client.SessionId)).IsActive.Should().BeTrue();
                client.Responses.Should().OnlyContain(r => r.Status == HttpStatusCode.OK || r.Status == HttpStatusCode.Accepted);
            }
        }
        finally
        {
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask())); // each sends its DELETE
        }

        (await host.Registry.CountAsync()).Should().Be(0);
        foreach (McpTestClient client in clients)
        {
            client.Responses.Should().ContainSingle(r => r.Method == HttpMethod.Delete).Which.Status.Should().Be(HttpStatusCode.OK);
            SessionLookup lookup = await host.LookupAsync(client.SessionId);
            lookup.IsExpired.Should().BeTrue();
            lookup.Expiry.Reason.Should().Be(ExpiryReason.Deleted);
            (await host.SdkClosedSessions.WaitForCloseAsync(client.SessionId)).Should().BeTrue();
        }
    }

    [Test]
    public async Task Sessions_ending_while_requests_are_in_flight_never_answer_5xx_and_end_once_with_one_reason()
    {
        await RunStormAsync();
    }

    private static async Task RunStormAsync()
    {
        const int Sessions = 16;
        const int CallStreams = 3;
        const int CallsPerStream = 3;
        var requests = new ServerRequests();
        await using TestHost host = await TestHost.StartAsync(
            kestrel: true,
            options: o => o.IdleTimeout = IdleTimeout,
            configure: requests.Install);

        Session[] sessions = await Task.WhenAll(Enumerable.Range(0, Sessions).Select(async i =>
        {
            string? user = i % 2 == 0 ? $"user-{i}" : null;
            return new Session(i, await host.InitializeAsync(user), user);
        }));

        // Every request of the storm, released at once: streams of tool calls and a notification from each owner,
        // DELETEs from the owner of two thirds of the sessions (twice each, so two DELETEs race), calls and DELETEs from
        // another user, and a clock that jumps past the idle timeout in steps with explicit and hosted sweeps in between.
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var outcomes = new ConcurrentBag<Outcome>();
        var storm = new List<Task>();
        foreach (Session session in sessions)
        {
            for (int stream = 0; stream < CallStreams; stream++)
            {
                storm.Add(SendInTurn(session, Kind.Call, CallsPerStream, n => TestHost.JsonRpc(
                    "tools/call", 10 + n, new { name = "echo", arguments = new { message = $"s{session.Index}n{n}" } })));
            }

            storm.Add(Send(session, Kind.Notification, session.User, TestHost.JsonRpc("notifications/initialized", id: null)));
            storm.Add(Send(session, Kind.IntruderCall, "mallory", TestHost.JsonRpc("tools/list", 99)));
            storm.Add(Send(session, Kind.IntruderDelete, "mallory", body: null));
            if (session.Index % 3 != 2)
            {
                storm.Add(Send(session, Kind.Delete, session.User, body: null));
                storm.Add(Send(session, Kind.Delete, session.User, body: null));
            }
        }

        storm.Add(Task.Run(async () =>
        {
            await start.Task;
            for (int step = 0; step < 8; step++)
            {
                await Task.Yield();
                host.Clock.Advance(Duration.FromMinutes(1));
                await host.Registry.SweepAsync();
                host.Time.Advance(TimeSpan.FromMinutes(1)); // the hosted sweeper's timer too
            }
        }));

        start.SetResult();
        await Task.WhenAll(storm).WaitAsync(TimeSpan.FromSeconds(20));

        // Whatever is still live ends now: nothing is in flight, so the idle timeout applies to all of it.
        await requests.WaitUntilIdleAsync();
        host.Clock.Advance(Duration.FromTimeSpan(IdleTimeout) + Duration.FromSeconds(1));
        await host.Registry.SweepAsync();

        Outcome[] all = [.. outcomes];
        TestContext.Out.WriteLine(string.Join(Environment.NewLine, all
            .GroupBy(o => (o.Kind, o.Status, o.Code, o.Reason, Cut: o.BodyError is not null))
            .OrderBy(g => g.Key.ToString())
            .Select(g => $"{g.Key}: {g.Count()}")));
        foreach (FakeLogRecord error in host.Logs.GetSnapshot().Where(r => r.Level >= LogLevel.Error))
        {
            TestContext.Out.WriteLine($"{error.Level} {error.Category}: {error.Message} {error.Exception?.GetType().Name}");
        }

        Dictionary<int, string> finalReason = [];
        foreach (Session session in sessions)
        {
            SessionLookup lookup = await host.LookupAsync(session.Id);
            lookup.IsExpired.Should().BeTrue("session {0} has ended", session.Index);
            finalReason[session.Index] = lookup.Expiry.Reason.Code;
        }

        // An owner's request already past Limps's check when its own DELETE reaches the MCP server can still get the
        // server's own 404 (it had not looked the session up yet) or a cut SSE answer (it had started). Never a 5xx:
        // Limps answers SESSION_EXPIRED when the server drops the session under a request that has not started.
        Outcome[] cutByOwnDelete = [.. all.Where(o =>
            o.Kind is Kind.Call or Kind.Notification
            && finalReason[o.Session] == "deleted"
            && o.Exception is null
            && ((o.Status == HttpStatusCode.NotFound && o.Code is null)
                || (o.Status == HttpStatusCode.OK && o.BodyError is not null)))];
        if (cutByOwnDelete.Length > 0)
        {
            TestContext.Out.WriteLine($"Requests cut by their own session's DELETE: {cutByOwnDelete.Length}");
        }

        Outcome[] checkedStrictly = [.. all.Except(cutByOwnDelete)];

        checkedStrictly.Should().OnlyContain(o => o.Exception == null, "every request gets an HTTP answer");
        checkedStrictly.Select(o => (int)o.Status!).Should().OnlyContain(s => s < 500, "no request may fail with a server error");
        checkedStrictly.Select(o => o.Status).Should().OnlyContain(
            s => s == HttpStatusCode.OK || s == HttpStatusCode.Accepted || s == HttpStatusCode.NotFound);
        checkedStrictly.Where(o => o.Status == HttpStatusCode.NotFound).Should().OnlyContain(
            o => o.Code == "SESSION_EXPIRED" || o.Code == "SESSION_NOT_FOUND",
            "a 404 carries Limps's JSON body, never a bare or MCP-SDK 'Session not found'");
        checkedStrictly.Where(o => o.BodyError is not null).Should().BeEmpty("no answer is cut short");
        all.Where(o => o.Kind is Kind.IntruderCall or Kind.IntruderDelete).Should().OnlyContain(
            o => o.Status == HttpStatusCode.NotFound, "another user's session looks unknown (or expired)");
        all.Where(o => o.Kind is Kind.Call or Kind.Notification or Kind.Delete).Should().NotContain(
            o => o.Code == "SESSION_NOT_FOUND", "an id this server issued is always either live or in the ledger");

        (await host.Registry.CountAsync()).Should().Be(0);
        foreach (Session session in sessions)
        {
            string reason = finalReason[session.Index];
            Outcome[] mine = [.. all.Where(o => o.Session == session.Index)];

            // Only the owner's DELETE or the idle timeout can end a session, and exactly one of them did.
            int deletesThatEnded = mine.Count(o => o.Kind == Kind.Delete && o.Status == HttpStatusCode.OK);
            deletesThatEnded.Should().BeLessThanOrEqualTo(1, "only one DELETE can end session {0}", session.Index);
            reason.Should().Be(deletesThatEnded == 1 ? "deleted" : "timeout", "session {0} ended once, for one reason", session.Index);
            if (session.Index % 3 == 2)
            {
                reason.Should().Be("timeout");
            }

            // Every expired answer for the session told the same, final reason (the first reason wins).
            mine.Where(o => o.Code == "SESSION_EXPIRED").Should().NotContain(
                o => o.Reason != reason || o.HeaderReason != reason || o.ExpiredHeader != "true");

            // Timeouts never end a session under a request: a session that timed out saw every call answered in full.
            if (reason == "timeout")
            {
                mine.Where(o => o.Kind == Kind.Call && o.Status == HttpStatusCode.OK).Should().NotContain(
                    o => o.BodyError != null || !o.Body!.Contains($"s{session.Index}n", StringComparison.Ordinal));
            }

            (await host.SdkClosedSessions.WaitForCloseAsync(session.Id)).Should().BeTrue("the MCP SDK's state for session {0} is released", session.Index);
        }

        Task Send(Session session, Kind kind, string? user, string? body) => Task.Run(async () =>
        {
            await start.Task;
            outcomes.Add(await SendAsync(host, session, kind, user, body));
        });

        // One after another on the same session, so a stream of calls spans the DELETEs and the clock's steps.
        Task SendInTurn(Session session, Kind kind, int count, Func<int, string> body) => Task.Run(async () =>
        {
            await start.Task;
            for (int n = 0; n < count; n++)
            {
                outcomes.Add(await SendAsync(host, session, kind, session.User, body(n)));
            }
        });
    }

    private static async Task<Outcome> SendAsync(TestHost host, Session session, Kind kind, string? user, string? body)
    {
        HttpMethod method = kind is Kind.Delete or Kind.IntruderDelete ? HttpMethod.Delete : HttpMethod.Post;
        using HttpRequestMessage request = host.Request(method, session.Id, user, body);
        HttpResponseMessage response;
        try
        {
            response = await host.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        }
#pragma warning disable CA1031 // Every failure is an outcome to report.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return new Outcome(session.Index, kind, null, null, null, null, null, null, null, ex);
        }

        using (response)
        {
            string? text = null;
            string? bodyError = null;
            try
            {
                text = await response.Content.ReadAsStringAsync();
            }
#pragma warning disable CA1031 // An answer cut short is an outcome to report.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                bodyError = ex.GetType().Name;
            }

            string? code = null;
            string? reason = null;
            if (response.Content.Headers.ContentType?.MediaType == "application/json" && !string.IsNullOrEmpty(text))
            {
                using JsonDocument json = JsonDocument.Parse(text);
                if (json.RootElement.ValueKind == JsonValueKind.Object)
                {
                    code = json.RootElement.TryGetProperty("code", out JsonElement c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                    reason = json.RootElement.TryGetProperty("reason", out JsonElement r) ? r.GetString() : null;
                }
            }

            return new Outcome(
                session.Index,
                kind,
                response.StatusCode,
                code,
                reason,
                response.Headers.TryGetValues("X-Session-Expired", out IEnumerable<string>? expired) ? string.Join(',', expired) : null,
                response.Headers.TryGetValues("X-Session-Expired-Reason", out IEnumerable<string>? why) ? string.Join(',', why) : null,
                text,
                bodyError,
                null);
        }
    }

    private enum Kind
    {
        Call,
        Notification,
        Delete,
        IntruderCall,
        IntruderDelete,
    }

    private sealed record Session(int Index, string Id, string? User);

    private sealed record Outcome(
        int Session,
        Kind Kind,
        HttpStatusCode? Status,
        string? Code,
        string? Reason,
        string? ExpiredHeader,
        string? HeaderReason,
        string? Body,
        string? BodyError,
        Exception? Exception);
}
