using System.Collections.Concurrent;
using System.Diagnostics;
using NodaTime;
using NodaTime.Testing;

namespace Limps.Sessions.Tests.Handles;

/// <summary>
/// 16 threads run 10^5 mixed operations each on one kind (create, use, update, destroy, end, another user's use, sweep,
/// and moving the fake clock so handles time out under the others' feet). Afterwards every handle has ended exactly
/// once with one reason, the ledger holds each end once, and no update was lost: the counts the updates of a handle
/// returned are exactly 1..N. Seeds are fixed; interleavings vary, and the invariants must hold for all of them.
/// </summary>
public class HandleConcurrencyTests
{
    private const int Threads = 16;
    private const int Window = 2_000;
    private const int HotWindow = 16;
    private static readonly string?[] Owners = ["user:a", "user:b", "user:c", "user:d", null];

    // 16 x 10^5 takes about a minute on a busy 2-core machine, so CI (CI=true) runs 16 x 2*10^4 (about 12 s there);
    // LIMPS_HANDLE_OPS sets the count per thread explicitly.
    private static int OperationsPerThread =>
        int.TryParse(Environment.GetEnvironmentVariable("LIMPS_HANDLE_OPS"), out int ops) && ops > 0
            ? ops
            : string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase) ? 20_000 : 100_000;

    [Test]
    [CancelAfter(300_000)]
    public async Task Every_handle_ends_exactly_once_with_one_reason_one_ledger_entry_and_no_lost_update()
    {
        int operations = OperationsPerThread;
        var clock = new FakeClock(TestTime.Start);
        var observer = new RecordingObserver();
        var options = new HandleKindOptions
        {
            Name = "basket",
            Prefix = "bsk_",
            IdleTimeout = TimeSpan.FromMinutes(30),
            MaxLifetime = TimeSpan.FromHours(6),
            MaxHandles = 10_000_000,
            MaxHandlesPerOwner = 10_000_000,
            MaxLedgerEntries = 10_000_000,
            LedgerRetention = TimeSpan.FromDays(365),
        };
        using var store = new InMemoryHandleStore<Tally>(options, clock, [observer]);

        var created = new Record[Threads * operations];
        int createdCount = 0;
        var unexpected = new ConcurrentQueue<string>();
        using var start = new Barrier(Threads);
        var stopwatch = Stopwatch.StartNew();

        await Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(
            async () =>
            {
                var random = new Random(9_000 + t);
                start.SignalAndWait();
                for (int op = 0; op < operations; op++)
                {
                    int roll = random.Next(1_000);
                    int known = Volatile.Read(ref createdCount);
                    // Updates go to the few newest handles, so that threads often update the same one at once.
                    int window = roll is >= 500 and < 850 ? HotWindow : Window;
                    Record? record = known == 0 ? null : Volatile.Read(ref created[random.Next(Math.Max(0, known - window), known)]);
                    if (roll < 150 || record is null)
                    {
                        string? owner = Owners[random.Next(Owners.Length)];
                        string handle = await store.CreateAsync(new Tally(0), owner);
                        var fresh = new Record(handle, owner);
                        int slot = Interlocked.Increment(ref createdCount) - 1;
                        Volatile.Write(ref created[slot], fresh);
                        continue;
                    }

                    try
                    {
                        switch (roll)
                        {
                            case < 500:
                                Tally seen = await store.UseAsync(record.Handle, record.Owner);
                                if (seen.Count < 0)
                                {
                                    unexpected.Enqueue("negative count");
                                }

                                break;
                            case < 850:
                                Tally next = await store.UpdateAsync(record.Handle, record.Owner, Increment);
                                record.Returned.Enqueue(next.Count);
                                break;
                            case < 900:
                                await store.DestroyAsync(record.Handle, record.Owner);
                                Interlocked.Increment(ref record.Destroyed);
                                break;
                            case < 910:
                                if (await store.EndAsync(record.Handle, new RevokedReason()))
                                {
                                    Interlocked.Increment(ref record.Revoked);
                                }

                                break;
                            case < 930:
                                await store.UseAsync(record.Handle, "user:mallory");
                                unexpected.Enqueue("another user's use succeeded");
                                break;
                            case < 940:
                                await store.SweepAsync();
                                break;
                            default:
                                clock.Advance(Duration.FromMinutes(1));
                                break;
                        }
                    }
                    catch (HandleUnavailableException error)
                    {
                        bool foreignUse = roll is >= 910 and < 930;
                        if (foreignUse ? error.Code != HandleErrorCodes.NotFound : error.Code != HandleErrorCodes.Expired)
                        {
                            unexpected.Enqueue($"{error.Code} for {(foreignUse ? "a foreign" : "an owner's")} call");
                        }
                    }
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap()));

        TimeSpan chaos = stopwatch.Elapsed;
        clock.Advance(Duration.FromHours(7));
        await store.SweepAsync();
        TestContext.Out.WriteLine(
            $"{Threads} threads x {operations:N0} operations in {chaos.TotalSeconds:F1} s; {createdCount:N0} handles created.");

        unexpected.Should().BeEmpty();
        Record[] all = created[..createdCount];
        (await store.CountAsync()).Should().Be(0);
        store.SlotCount.Should().Be(0);

        // Exactly once, one reason, one ledger entry each.
        observer.Ended.Should().HaveCount(createdCount);
        observer.EndedCountById.Should().HaveCount(createdCount).And.OnlyContain(pair => pair.Value == 1);
        (await store.Ledger.CountAsync()).Should().Be(createdCount);
        var reasonOf = observer.Ended.ToDictionary(e => e.Id.ToString(), e => e.Reason.Code, StringComparer.Ordinal);

        foreach (Record record in all)
        {
            string reason = reasonOf[record.Handle];
            (record.Destroyed + record.Revoked).Should().BeLessThanOrEqualTo(1, "only the first end succeeds");
            if (record.Destroyed == 1)
            {
                reason.Should().Be("deleted");
            }

            if (record.Revoked == 1)
            {
                reason.Should().Be("revoked");
            }

            if (reason is "deleted" or "revoked")
            {
                (record.Destroyed + record.Revoked).Should().Be(1, "an app end is reported to the one call that made it");
            }

            // No lost update: each update saw the one before, so the counts returned are exactly 1..N.
            int[] returned = [.. record.Returned.Order()];
            for (int i = 0; i < returned.Length; i++)
            {
                if (returned[i] != i + 1)
                {
                    Assert.Fail($"Update counts of one handle were {string.Join(",", returned)}: an update was lost.");
                }
            }
        }

        observer.Ended.Count(e => e.Reason.Code == "deleted").Should().Be(all.Sum(r => r.Destroyed));
        observer.Ended.Count(e => e.Reason.Code == "revoked").Should().Be(all.Sum(r => r.Revoked));
        observer.Ended.Select(e => e.Reason.Code).Distinct().Should().BeSubsetOf(["deleted", "revoked", "timeout", "lifetime"]);

        // The ledger answers each owner with the one reason the handle ended with; another user learns nothing.
        foreach (Record record in all.Where((_, i) => i % 97 == 0))
        {
            HandleUnavailableException mine = (await FluentActions.Awaiting(async () => await store.UseAsync(record.Handle, record.Owner))
                .Should().ThrowAsync<HandleUnavailableException>()).Which;
            mine.Reason!.Code.Should().Be(reasonOf[record.Handle]);
            (await FluentActions.Awaiting(async () => await store.UseAsync(record.Handle, "user:mallory"))
                .Should().ThrowAsync<HandleUnavailableException>()).Which.Code.Should().Be(HandleErrorCodes.NotFound);
        }
    }

    // A read-modify-write that takes a moment (spinning, not sleeping), so that unsynchronised updates would overlap.
    private static Tally Increment(Tally tally)
    {
        Thread.SpinWait(100);
        return tally with { Count = tally.Count + 1 };
    }

    private sealed record Tally(int Count);

    private sealed class Record(string handle, string? owner)
    {
        public readonly string Handle = handle;
        public readonly string? Owner = owner;
        public readonly ConcurrentQueue<int> Returned = new();
        public int Destroyed;
        public int Revoked;
    }
}
