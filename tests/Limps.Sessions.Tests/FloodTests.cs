using System.Diagnostics;
using NodaTime;
using NodaTime.Testing;

namespace Limps.Sessions.Tests;

/// <summary>
/// Floods: a million sessions created and dropped (deleted, idled out, found overdue), and a million requests for ids
/// that are unknown, forgotten or expired. Memory is measured as the managed heap after full collections: it must level
/// off at what <see cref="LimpsSessionsOptions.MaxSessions"/> live sessions and
/// <see cref="LimpsSessionsOptions.MaxLedgerEntries"/> tombstones take, and stay there however long the flood goes on.
/// Asking about ids never adds anything.
/// </summary>
[TestFixture]
[NonParallelizable]
public class FloodTests
{
    private const int MaxSessions = 10_000;
    private const int MaxLedgerEntries = 20_000;

    // Generous per-item ceilings: measured about 200 bytes per live session (entry, dictionary node, id string, heap
    // slot) and about 100 per tombstone (queue slot, dictionary entry, key).
    private const long BytesPerLiveSession = 400;
    private const long BytesPerTombstone = 250;

    private static long ManagedHeap()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>A registry on a fake clock, without the recording observer of <see cref="RegistryHarness"/> (which keeps every session).</summary>
    private sealed class Flood : IDisposable
    {
        public Flood()
        {
            var options = new LimpsSessionsOptions
            {
                IdleTimeout = TimeSpan.FromMinutes(1),
                MaxSessions = MaxSessions,
                MaxLedgerEntries = MaxLedgerEntries,
            };
            Clock = new FakeClock(TestTime.Start);
            Ledger = new InMemoryExpiryLedger(options, Clock);
            Registry = new InMemorySessionRegistry(options, Clock, Ledger, [Counter]);
        }

        public FakeClock Clock { get; }

        public InMemoryExpiryLedger Ledger { get; }

        public InMemorySessionRegistry Registry { get; }

        public CountingObserver Counter { get; } = new();

        public void Advance(Duration duration) => Clock.Advance(duration);

        public void Dispose() => Registry.Dispose();
    }

    /// <summary>Counts notifications without keeping anything.</summary>
    private sealed class CountingObserver : ISessionLifecycleObserver
    {
        public long Started;
        public long Ended;

        public void OnSessionStarted(SessionInfo session) => Interlocked.Increment(ref Started);

        public void OnSessionEnded(ExpiredSession session) => Interlocked.Increment(ref Ended);
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_million_sessions_created_and_dropped_leave_memory_flat_at_the_configured_bounds()
    {
        const int Total = 1_000_000;
        const int Block = 100_000;
        long empty = ManagedHeap();
        using var h = new Flood();
        var live = new Queue<SessionId>(MaxSessions);
        var heapAfterBlock = new List<long>();
        var watch = Stopwatch.StartNew();
        long timeouts = 0;

        for (int created = 0; created < Total;)
        {
            for (int i = 0; i < Block; i++, created++)
            {
                // Keep about half the capacity live and drop the oldest: by DELETE, by idling out untouched, or by
                // idling out after one last request.
                if (live.Count == MaxSessions / 2)
                {
                    SessionId oldest = live.Dequeue();
                    switch (created % 3)
                    {
                        case 0:
                            (await h.Registry.EndAsync(oldest, ExpiryReason.Deleted)).Should().BeTrue();
                            break;
                        case 1:
                            break; // left to idle out
                        default:
                            await h.Registry.TouchAsync(oldest);
                            break;
                    }
                }

                live.Enqueue((await h.Registry.CreateAsync()).Id);
                if (created % 1_000 == 999)
                {
                    h.Advance(Duration.FromSeconds(10));
                    timeouts += await h.Registry.SweepAsync();
                }
            }

            heapAfterBlock.Add(ManagedHeap() - empty);
            h.Registry.Count.Should().BeLessThanOrEqualTo(MaxSessions);
            h.Ledger.Count.Should().BeLessThanOrEqualTo(MaxLedgerEntries);
            h.Registry.ScheduledCount.Should().BeLessThanOrEqualTo((2 * h.Registry.Count) + 1024 + 1, "ended sessions do not pile up on the schedule");
        }

        TestContext.Out.WriteLine(
            $"{Total:N0} sessions in {watch.Elapsed.TotalSeconds:F1} s; {timeouts:N0} swept; heap after each 100k: "
            + string.Join(", ", heapAfterBlock.Select(b => $"{b / 1024.0 / 1024.0:F1} MB")));

        h.Ledger.Count.Should().Be(MaxLedgerEntries, "the ledger is full and keeps only the newest tombstones");
        (h.Counter.Started - h.Counter.Ended).Should().Be(h.Registry.Count, "every session that left was ended and announced once");
        timeouts.Should().BeGreaterThan(Total / 10, "idle timeouts are part of the flood");
        long bound = (MaxSessions * BytesPerLiveSession) + (MaxLedgerEntries * BytesPerTombstone);
        heapAfterBlock.Should().OnlyContain(b => b < bound, "memory is bounded by MaxSessions and MaxLedgerEntries");

        // Flat: once the ledger is full (after the first block), more sessions cost nothing more.
        long settled = heapAfterBlock[1];
        heapAfterBlock.Skip(2).Should().OnlyContain(
            b => b < settled + (512 * 1024), "memory does not grow with the number of sessions that came and went");
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_million_requests_for_unknown_forgotten_and_expired_ids_add_nothing()
    {
        const int Total = 1_000_000;
        using var h = new Flood();

        // A full ledger, some live sessions, and ids the ledger has already let go of.
        var forgotten = new List<SessionId>();
        var expired = new List<SessionId>();
        for (int i = 0; i < MaxLedgerEntries + 5_000; i++)
        {
            SessionId id = (await h.Registry.CreateAsync()).Id;
            await h.Registry.EndAsync(id, ExpiryReason.Deleted);
            (i < 5_000 ? forgotten : expired).Add(id);
        }

        SessionId[] liveIds = new SessionId[1_000];
        for (int i = 0; i < liveIds.Length; i++)
        {
            liveIds[i] = (await h.Registry.CreateAsync()).Id;
        }

        int tombstones = h.Ledger.Count;
        int scheduled = h.Registry.ScheduledCount;
        tombstones.Should().Be(MaxLedgerEntries);
        long before = ManagedHeap();
        var random = new Random(11);
        long unknownAnswers = 0;
        long expiredAnswers = 0;

        for (int i = 0; i < Total; i++)
        {
            SessionLookup answer;
            switch (i % 4)
            {
                case 0:
                    answer = await h.Registry.TouchAsync(SessionId.New());
                    break;
                case 1:
                    answer = await h.Registry.LookupAsync(forgotten[random.Next(forgotten.Count)]);
                    break;
                case 2:
                    await using (SessionLease lease = await h.Registry.BeginLeaseAsync(expired[random.Next(expired.Count)]))
                    {
                        answer = lease.Lookup;
                    }

                    break;
                default:
                    (await h.Registry.EndAsync(SessionId.New(), ExpiryReason.Deleted)).Should().BeFalse();
                    answer = await h.Registry.TouchAsync(SessionId.Parse($"guess-{i}"));
                    break;
            }

            if (answer.IsExpired)
            {
                expiredAnswers++;
            }
            else
            {
                answer.IsNotFound.Should().BeTrue();
                unknownAnswers++;
            }
        }

        long after = ManagedHeap();
        TestContext.Out.WriteLine($"{Total:N0} requests; heap {before / 1024.0 / 1024.0:F1} MB before, {after / 1024.0 / 1024.0:F1} MB after");

        expiredAnswers.Should().Be(Total / 4);
        unknownAnswers.Should().Be(Total * 3 / 4);
        h.Ledger.Count.Should().Be(tombstones, "asking about an id never writes a tombstone");
        h.Registry.Count.Should().Be(liveIds.Length);
        h.Registry.ScheduledCount.Should().Be(scheduled);
        h.Counter.Started.Should().Be(MaxLedgerEntries + 5_000 + liveIds.Length);
        h.Counter.Ended.Should().Be(MaxLedgerEntries + 5_000);
        after.Should().BeLessThan(before + (256 * 1024), "nothing is kept for ids that were asked about");
        foreach (SessionId id in liveIds)
        {
            (await h.Registry.LookupAsync(id)).IsActive.Should().BeTrue();
        }
    }
}
