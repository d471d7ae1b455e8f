using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Limps.Sessions.AspNetCore.Tests.Infrastructure;

namespace Limps.Sessions.AspNetCore.Tests;

/// <summary>
/// Issue 12.4: a DELETE racing a request on the same session, with real concurrent HTTP clients against a real Kestrel
/// host and the real MCP SDK. Every answer must be Limps's or the tool's: never the SDK's bare "Session not found", an
/// empty 200, or a broken connection.
/// </summary>
[TestFixture]
public sealed class DeleteRaceTests
{
    private const int Races = 300;
    private const int Parallel = 8;

    [Test]
    public async Task Three_hundred_tools_call_and_DELETE_races_answer_the_tool_result_or_SESSION_EXPIRED_deleted_only()
    {
        await using TestHost host = await TestHost.StartAsync(
            o => o.IdleTimeout = TimeSpan.FromMinutes(30), SlowTools.Install, kestrel: true);
        var outcomes = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var odd = new ConcurrentQueue<string>();
        var duringTool = new ConcurrentQueue<string>();
        using var gate = new SemaphoreSlim(Parallel);

        await Task.WhenAll(Enumerable.Range(0, Races).Select(async race =>
        {
            await gate.WaitAsync();
            try
            {
                string? user = race % 2 == 0 ? $"user-{race}" : null;
                string id = await host.InitializeAsync(user);

                // Three kinds of race: the DELETE while the tool runs (the case that used to cut the answer), both
                // sent at once, and the DELETE sent first.
                Task<string> call;
                Task<HttpResponseMessage> deleting;
                switch (race % 3)
                {
                    case 0:
                        call = ClassifyCallAsync(host, id, user, race);
                        await Task.WhenAny(SlowTools.EnteredAsync(race), call);
                        deleting = host.Client.SendAsync(host.Request(HttpMethod.Delete, id, user));
                        break;
                    case 1:
                        call = Task.Run(() => ClassifyCallAsync(host, id, user, race));
                        deleting = Task.Run(() => host.Client.SendAsync(host.Request(HttpMethod.Delete, id, user)));
                        break;
                    default:
                        deleting = host.Client.SendAsync(host.Request(HttpMethod.Delete, id, user));
                        call = ClassifyCallAsync(host, id, user, race);
                        break;
                }

                using HttpResponseMessage deleted = await deleting;
                string outcome = await call;
                outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
                if (race % 3 == 0)
                {
                    duringTool.Enqueue(outcome);
                }

                outcomes.AddOrUpdate($"DELETE {(int)deleted.StatusCode}", 1, (_, n) => n + 1);
                if (!outcome.StartsWith("ok", StringComparison.Ordinal))
                {
                    odd.Enqueue(outcome);
                }

                (await host.SdkClosedSessions.WaitForCloseAsync(id)).Should().BeTrue("the MCP server's state is freed after the call finished");
            }
            finally
            {
                gate.Release();
            }
        }));

        TestContext.Out.WriteLine(string.Join(Environment.NewLine, outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key}: {o.Value}")));
        odd.Should().BeEmpty();
        outcomes.Should().ContainKey($"DELETE 200").WhoseValue.Should().Be(Races);
        (outcomes.GetValueOrDefault("ok: tool result") + outcomes.GetValueOrDefault("ok: SESSION_EXPIRED deleted")).Should().Be(Races);
        duringTool.Should().HaveCount(Races / 3).And.OnlyContain(o => o == "ok: tool result", "every DELETE sent while its tool ran let the tool answer");
        outcomes.GetValueOrDefault("ok: SESSION_EXPIRED deleted").Should().BeGreaterThan(0, "some DELETEs won the race");
        (await host.Registry.CountAsync()).Should().Be(0);
    }

    private static async Task<string> ClassifyCallAsync(TestHost host, string id, string? user, int race)
    {
        try
        {
            using HttpResponseMessage response = await host.Client.SendAsync(host.Request(HttpMethod.Post, id, user, SlowTools.CallBody(race)));
            string body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.OK)
            {
                if (body.Length == 0)
                {
                    return "bad: empty 200";
                }

                JsonElement message = await response.McpMessageAsync();
                return message.TryGetProperty("result", out JsonElement result) && result.GetRawText().Contains(SlowTools.Result, StringComparison.Ordinal)
                    ? "ok: tool result"
                    : $"bad: 200 {body}";
            }

            if (response.StatusCode == HttpStatusCode.NotFound
                && response.Headers.TryGetValues(SessionHeaders.ExpiredReason, out IEnumerable<string>? reasons)
                && reasons.Single() == "deleted"
                && JsonDocument.Parse(body).RootElement.GetProperty("code").GetString() == "SESSION_EXPIRED")
            {
                return "ok: SESSION_EXPIRED deleted";
            }

            return body.Contains("-32001", StringComparison.Ordinal)
                ? $"bad: bare SDK {(int)response.StatusCode} {body}"
                : $"bad: {(int)response.StatusCode} {body}";
        }
        catch (HttpRequestException ex)
        {
            return $"bad: connection {ex.Message}";
        }
    }
}
