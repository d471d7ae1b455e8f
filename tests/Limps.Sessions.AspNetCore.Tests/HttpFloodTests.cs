using System.Net;
using System.Text.Json;
using Limps.Sessions.AspNetCore.Tests.Infrastructure;
using NodaTime;

namespace Limps.Sessions.AspNetCore.Tests;

/// <summary>
/// A flood of requests with ids that are unknown, expired, malformed or someone else's, through the real pipeline:
/// every one gets its answer, and none of them adds a tombstone, a session, or managed memory that stays.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class HttpFloodTests
{
    [Test]
    [CancelAfter(60_000)]
    public async Task Twenty_four_thousand_requests_with_dead_or_foreign_ids_leave_the_registry_ledger_and_heap_as_they_were()
    {
        const int Requests = 24_000;
        const int Rounds = 6;
        await using TestHost host = await TestHost.StartAsync(o => o.IdleTimeout = TimeSpan.FromMinutes(30));
        string live = await host.InitializeAsync(user: "alice");
        string[] expired = new string[50];
        for (int i = 0; i < expired.Length; i++)
        {
            expired[i] = await host.InitializeAsync();
            using HttpResponseMessage deleted = await host.Client.SendAsync(host.Request(HttpMethod.Delete, expired[i]));
            deleted.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        host.Clock.Advance(Duration.FromMinutes(1));
        Instant lastActive = (await host.LookupAsync(live)).Session.LastActiveAt;
        int tombstones = await host.Ledger.CountAsync();
        int[] answers = new int[4];

        // Rounds of the same flood: the first pays for first use (JIT, the thread pool's threads and their pools);
        // after it, the heap must stay level however many more requests come.
        var heap = new List<long>();
        for (int round = 0; round < Rounds; round++)
        {
            await FloodAsync(host, live, expired, answers, Requests / Rounds);
            host.Logs.GetSnapshot().Count(r => r.Id.Name == "SessionOwnerMismatch")
                .Should().Be(Requests / Rounds / 4, "someone else's id is answered as unknown, with a warning");
            host.Logs.Clear(); // the test's log collector keeps every record; it is not the server's memory
            heap.Add(ManagedHeap());
        }

        TestContext.Out.WriteLine($"{Requests:N0} requests; managed heap after each round: "
            + string.Join(", ", heap.Select(b => $"{b / 1048576.0:F2} MB")));
        answers.Should().AllSatisfy(count => count.Should().Be(Requests / 4));
        (await host.Ledger.CountAsync()).Should().Be(tombstones, "asking about an id never writes a tombstone");
        (await host.Registry.CountAsync()).Should().Be(1);
        (await host.LookupAsync(live)).Session.LastActiveAt.Should().Be(lastActive);
        // Other parts of the test process (thread pool, connection pools, earlier fixtures' hosts winding down) move
        // the managed heap by a megabyte or so between rounds; a leak of even 100 bytes per request would add 1.6 MB
        // over the last four rounds and keep growing. The lowest of the last two rounds must sit within that noise.
        heap.Skip(Rounds - 2).Min().Should().BeLessThan(
            heap[1] + (1536 * 1024), "nothing stays behind for the ids that were asked about");
    }

    private static async Task FloodAsync(TestHost host, string live, string[] expired, int[] answers, int count)
    {
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            (string id, string expectedCode) = (i % 4) switch
            {
                0 => (SessionId.New().ToString(), "SESSION_NOT_FOUND"),
                1 => (expired[i % expired.Length], "SESSION_EXPIRED"),
                2 => ($"bad id {i}", "INVALID_SESSION_ID"),
                _ => (live, "SESSION_NOT_FOUND"),
            };
            using HttpResponseMessage response = await host.ListToolsAsync(id, user: i % 8 == 3 ? "bob" : null);
            response.StatusCode.Should().Be(expectedCode == "INVALID_SESSION_ID" ? HttpStatusCode.BadRequest : HttpStatusCode.NotFound);
            using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            body.RootElement.GetProperty("code").GetString().Should().Be(expectedCode);
            Interlocked.Increment(ref answers[i % 4]);
        });
    }

    private static long ManagedHeap()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
