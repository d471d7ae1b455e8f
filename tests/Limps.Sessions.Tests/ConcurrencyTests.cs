using System.Collections.Concurrent;
using NodaTime;

namespace Limps.Sessions.Tests;

/// <summary>
/// Many threads touch, lease, end and sweep at once while the fake clock moves: every session ends exactly once,
/// with one reason, and leaves one tombstone. Seeds are fixed; thread interleavings vary from run to run, and the
/// invariants must hold for all of them.
/// </summary>
public class ConcurrencyTests
{
    private const int Sessions = 12_000;
    private const int Workers = 6;
    private const int OperationsPerWorker = 25_000;

    private static readonly ExpiryReason[] EndReasons =
        [ExpiryReason.Deleted, ExpiryReason.Closed, ExpiryReason.Evicted, new RevokedReason()];

    // Racers that meet at a barrier get threads of their own, so a small thread pool does not serialize them.
    private static Task OnOwnThread(Func<Task> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    [Test]
    [CancelAfter(60_000)]
    public async Task Every_session_ends_exactly_once_with_one_reason_and_one_tombstone()
    {
        using var factory = new ScopedMeterFactory();
        using var metrics = new MetricsCollector(factory);
        using var h = new RegistryHarness(
            o =>
            {
                o.MaxSessions = Sessions;
                o.MaxLedgerEntries = Sessions * 2;
            },
            meterFactory: factory);

        SessionId[] ids = new SessionId[Sessions];
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            for (int i = w; i < Sessions; i += Workers)
            {
                ids[i] = (await h.Registry.CreateAsync()).Id;
            }
        })));
        h.Registry.Count.Should().Be(Sessions);

        // The even half is "hot" (touched and leased); the odd half only idles, so part of it times out while the
        // workers run. Touches start at +20 min, so a hot session is never due before +50 min; the clock stops
        // near +45 min.
        h.Advance(TestTime.Minutes(20));
        var endedTrue = new ConcurrentDictionary<SessionId, ConcurrentQueue<ExpiryReason>>();
        var sweptTotal = 0;

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            var random = new Random(4242 + w);
            for (int op = 0; op < OperationsPerWorker; op++)
            {
                int roll = random.Next(1_000);
                if (roll < 600)
                {
                    SessionId id = ids[random.Next(Sessions / 2) * 2];
                    SessionLookup answer = await h.Registry.TouchAsync(id);
                    answer.IsNotFound.Should().BeFalse("retention is a day and capacity is ample");
                }
                else if (roll < 700)
                {
                    SessionId id = ids[random.Next(Sessions / 2) * 2];
                    await using SessionLease lease = await h.Registry.BeginLeaseAsync(id);
                    if (lease.IsHeld)
                    {
                        (await h.Registry.LookupAsync(id)).IsNotFound.Should().BeFalse();
                    }
                }
                else if (roll < 760)
                {
                    (await h.Registry.LookupAsync(ids[random.Next(Sessions)])).IsNotFound.Should().BeFalse();
                }
                else if (roll < 985)
                {
                    SessionId id = ids[random.Next(Sessions)];
                    ExpiryReason reason = EndReasons[random.Next(EndReasons.Length)];
                    if (await h.Registry.EndAsync(id, reason))
                    {
                        endedTrue.GetOrAdd(id, _ => new ConcurrentQueue<ExpiryReason>()).Enqueue(reason);
                    }
                }
                else if (roll < 999)
                {
                    Interlocked.Add(ref sweptTotal, await h.Registry.SweepAsync());
                }
                else
                {
                    // About 150 steps of 10 s in all (the same on every run: the seeds fix each worker's operations),
                    // so the clock passes the idle half's deadline (+30 min) midway and stops well before +50 min.
                    h.Clock.Advance(Duration.FromSeconds(10));
                }
            }
        })));

        h.Now.Should().BeLessThan(TestTime.Start + TestTime.Minutes(50), "hot sessions must not be due yet");
        h.Now.Should().BeGreaterThan(TestTime.Start + TestTime.Minutes(30), "part of the idle half must be due");
        Interlocked.Add(ref sweptTotal, await h.Registry.SweepAsync());
        int closedByEndAll = await h.Registry.EndAllAsync(ExpiryReason.Closed);

        h.Registry.Count.Should().Be(0);
        (await h.Registry.CountAsync()).Should().Be(0);

        // Observer: every session started once and ended once.
        h.Observer.Started.Should().HaveCount(Sessions);
        h.Observer.Started.Select(s => s.Id).Should().OnlyHaveUniqueItems();
        h.Observer.Ended.Should().HaveCount(Sessions);
        h.Observer.EndedCountById.Should().HaveCount(Sessions);
        h.Observer.EndedCountById.Values.Should().NotContain(count => count != 1);
        Dictionary<SessionId, ExpiredSession> notified = h.Observer.Ended.ToDictionary(e => e.Id);

        // Ledger: exactly one tombstone per id, the one observers saw.
        h.Ledger.Count.Should().Be(Sessions);
        var reasonCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        int timeouts = 0;
        foreach (SessionId id in ids)
        {
            ExpiredSession tombstone = (await h.Ledger.FindAsync(id))!;
            tombstone.Should().NotBeNull();
            tombstone.Should().Be(notified[id]);
            reasonCounts[tombstone.Reason.Code] = reasonCounts.GetValueOrDefault(tombstone.Reason.Code) + 1;
            (await h.Registry.LookupAsync(id)).Expiry.Should().Be(tombstone);

            if (endedTrue.TryGetValue(id, out ConcurrentQueue<ExpiryReason>? wins))
            {
                wins.Should().ContainSingle("only one End can win for {0}", id.Masked);
                wins.Single().Should().Be(tombstone.Reason);
            }
            else
            {
                tombstone.Reason.Should().BeOneOf(ExpiryReason.Timeout, ExpiryReason.Closed);
            }

            if (tombstone.Reason == ExpiryReason.Timeout)
            {
                timeouts++;
                tombstone.ExpiredAt.Should().Be(tombstone.LastActiveAt + h.Idle);
            }
        }

        // Every session is accounted for by exactly one winning end or one timeout.
        (endedTrue.Count + closedByEndAll + timeouts).Should().Be(Sessions);
        timeouts.Should().BeGreaterThan(0, "the clock passed the deadline of the idle half");
        sweptTotal.Should().BeLessThanOrEqualTo(timeouts);
        endedTrue.Count.Should().BeGreaterThan(Sessions / 4);
        foreach (ExpiryReason reason in EndReasons)
        {
            reasonCounts.Should().ContainKey(reason.Code);
        }

        // Metrics agree.
        metrics.Sum("limps.sessions.started").Should().Be(Sessions);
        metrics.Sum("limps.sessions.ended").Should().Be(Sessions);
        metrics.Sum("limps.sessions.active").Should().Be(0);
        foreach ((string code, int count) in reasonCounts)
        {
            metrics.Sum("limps.sessions.ended", code).Should().Be(count, "ended{{reason={0}}}", code);
        }
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_session_touched_before_its_deadline_is_never_ended_for_timeout_by_a_concurrent_sweep()
    {
        const int Count = 3_000;
        for (int round = 0; round < 5; round++)
        {
            using var h = new RegistryHarness(o => o.MaxSessions = Count);
            SessionId[] ids = new SessionId[Count];
            for (int i = 0; i < Count; i++)
            {
                ids[i] = (await h.Registry.CreateAsync()).Id;
            }

            // Touches land one second before the original deadline (so they make their session not due), while
            // sweeps run and the clock is moved to the original deadline partway through.
            Instant deadline = TestTime.Start + h.Idle;
            h.AdvanceTo(deadline - Duration.FromSeconds(1));
            var answers = new SessionLookup[Count];
            int touched = 0;
            int stop = 0;
            using var gate = new Barrier(4 + 2 + 1);
            var random = new Random(99 + round);
            int[] order = [.. Enumerable.Range(0, Count).OrderBy(_ => random.Next())];

            Task[] touchers = [.. Enumerable.Range(0, 4).Select(w => OnOwnThread(async () =>
            {
                gate.SignalAndWait();
                for (int k = w; k < Count; k += 4)
                {
                    int i = order[k];
                    answers[i] = await h.Registry.TouchAsync(ids[i]);
                    Interlocked.Increment(ref touched);
                }
            }))];
            Task[] sweepers = [.. Enumerable.Range(0, 2).Select(_ => OnOwnThread(async () =>
            {
                gate.SignalAndWait();
                while (Volatile.Read(ref stop) == 0)
                {
                    await h.Registry.SweepAsync();
                }
            }))];
            Task mover = OnOwnThread(() =>
            {
                gate.SignalAndWait();
                while (Volatile.Read(ref touched) < Count / 2)
                {
                    Thread.SpinWait(20);
                }

                h.AdvanceTo(deadline);
                return Task.CompletedTask;
            });

            await Task.WhenAll(touchers);
            await mover;
            Volatile.Write(ref stop, 1);
            await Task.WhenAll(sweepers);
            await h.Registry.SweepAsync();

            int survived = 0;
            for (int i = 0; i < Count; i++)
            {
                SessionLookup now = await h.Registry.LookupAsync(ids[i]);
                if (answers[i].IsActive)
                {
                    survived++;
                    answers[i].Session.LastActiveAt.Should().Be(deadline - Duration.FromSeconds(1));
                    now.IsActive.Should().BeTrue("a touch that made the session not due must win over any sweep");
                    h.Observer.EndedFor(ids[i]).Should().BeEmpty();
                }
                else
                {
                    answers[i].Expiry.Reason.Should().Be(ExpiryReason.Timeout);
                    answers[i].Expiry.ExpiredAt.Should().Be(deadline);
                    now.Expiry.Should().Be(answers[i].Expiry);
                }
            }

            survived.Should().BeGreaterThan(0);
            h.Registry.Count.Should().Be(survived);
            h.Observer.EndedCountById.Values.Should().NotContain(count => count != 1);
            h.Observer.Ended.Should().HaveCount(Count - survived);
        }
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task No_touch_that_succeeded_is_lost_to_a_sweep_while_the_clock_runs()
    {
        const int Count = 2_000;
        const int Steps = 300;
        using var h = new RegistryHarness(o =>
        {
            o.MaxSessions = Count;
            o.IdleTimeout = TimeSpan.FromSeconds(10);
        });
        SessionId[] ids = new SessionId[Count];
        for (int i = 0; i < Count; i++)
        {
            ids[i] = (await h.Registry.CreateAsync()).Id;
        }

        // For each session, the latest activity a touch reported as successful (unix ticks).
        long[] latestTouch = new long[Count];
        long touches = 0;
        int stop = 0;
        using var gate = new Barrier(4 + 2 + 1);

        Task[] touchers = [.. Enumerable.Range(0, 4).Select(w => OnOwnThread(async () =>
        {
            var random = new Random(500 + w);
            gate.SignalAndWait();
            while (Volatile.Read(ref stop) == 0)
            {
                int i = random.Next(Count);
                SessionLookup answer = await h.Registry.TouchAsync(ids[i]);
                if (answer.IsActive)
                {
                    long at = answer.Session.LastActiveAt.ToUnixTimeTicks();
                    long seen = Volatile.Read(ref latestTouch[i]);
                    while (at > seen)
                    {
                        long previous = Interlocked.CompareExchange(ref latestTouch[i], at, seen);
                        if (previous == seen)
                        {
                            break;
                        }

                        seen = previous;
                    }
                }

                Interlocked.Increment(ref touches);
            }
        }))];
        Task[] sweepers = [.. Enumerable.Range(0, 2).Select(_ => OnOwnThread(async () =>
        {
            gate.SignalAndWait();
            while (Volatile.Read(ref stop) == 0)
            {
                await h.Registry.SweepAsync();
            }
        }))];
        Task mover = OnOwnThread(() =>
        {
            gate.SignalAndWait();
            for (int step = 0; step < Steps; step++)
            {
                long target = Interlocked.Read(ref touches) + (Count / 4);
                while (Interlocked.Read(ref touches) < target)
                {
                    Thread.SpinWait(20);
                }

                h.Clock.Advance(Duration.FromSeconds(1));
            }

            Volatile.Write(ref stop, 1);
            return Task.CompletedTask;
        });

        await mover;
        await Task.WhenAll(touchers);
        await Task.WhenAll(sweepers);
        h.Advance(h.Idle);
        await h.Registry.SweepAsync();

        h.Registry.Count.Should().Be(0);
        h.Observer.EndedCountById.Should().HaveCount(Count);
        h.Observer.EndedCountById.Values.Should().NotContain(count => count != 1);
        int touchedAfterStart = 0;
        for (int i = 0; i < Count; i++)
        {
            ExpiredSession tombstone = (await h.Ledger.FindAsync(ids[i]))!;
            tombstone.Reason.Should().Be(ExpiryReason.Timeout);
            tombstone.ExpiredAt.Should().Be(tombstone.LastActiveAt + h.Idle);
            if (latestTouch[i] != 0)
            {
                touchedAfterStart++;
                tombstone.LastActiveAt.ToUnixTimeTicks().Should().BeGreaterThanOrEqualTo(
                    latestTouch[i], "session {0} reported activity that its timeout ignored", i);
            }
        }

        touchedAfterStart.Should().BeGreaterThan(Count / 2);
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Racing_ends_of_one_session_have_exactly_one_winner()
    {
        const int Rounds = 2_000;
        using var h = new RegistryHarness(o => o.MaxSessions = Rounds);
        SessionId[] ids = new SessionId[Rounds];
        var winners = new ConcurrentQueue<ExpiryReason>[Rounds];
        for (int round = 0; round < Rounds; round++)
        {
            ids[round] = (await h.Registry.CreateAsync()).Id;
            winners[round] = new ConcurrentQueue<ExpiryReason>();
        }

        using var start = new Barrier(EndReasons.Length);
        await Task.WhenAll(EndReasons.Select(reason => OnOwnThread(async () =>
        {
            for (int round = 0; round < Rounds; round++)
            {
                start.SignalAndWait();
                if (await h.Registry.EndAsync(ids[round], reason))
                {
                    winners[round].Enqueue(reason);
                }
            }
        })));

        for (int round = 0; round < Rounds; round++)
        {
            winners[round].Should().ContainSingle();
            (await h.Registry.LookupAsync(ids[round])).Expiry.Reason.Should().Be(winners[round].Single());
        }

        h.Observer.EndedCountById.Should().HaveCount(Rounds);
        h.Observer.EndedCountById.Values.Should().NotContain(count => count != 1);
        h.Registry.Count.Should().Be(0);
        h.Ledger.Count.Should().Be(Rounds);
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Concurrent_creates_respect_the_capacity_exactly()
    {
        const int Capacity = 1_000;
        using var h = new RegistryHarness(o => o.MaxSessions = Capacity);
        int created = 0;
        int refused = 0;

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (int i = 0; i < 250; i++)
            {
                try
                {
                    await h.Registry.CreateAsync();
                    Interlocked.Increment(ref created);
                }
                catch (SessionCapacityExceededException)
                {
                    Interlocked.Increment(ref refused);
                }
            }
        })));

        created.Should().Be(Capacity);
        refused.Should().Be(8 * 250 - Capacity);
        h.Registry.Count.Should().Be(Capacity);
    }
}
