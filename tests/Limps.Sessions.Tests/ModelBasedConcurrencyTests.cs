using System.Collections.Concurrent;
using NodaTime;

namespace Limps.Sessions.Tests;

/// <summary>
/// A model-based concurrency test: six threads run random creates, touches, lookups, leases (held across phases),
/// releases, ends with four reasons, sweeps and calls with unknown ids against one registry, in phases. After every
/// phase the recorded answers are checked against a simple sequential model of each session.
/// </summary>
/// <remarks>
/// <para>
/// In a frozen phase the fake clock stands still, so the model predicts every answer exactly: a session due at the
/// phase's instant is reported expired for timeout by everyone who asks (and ended by the first of them or a sweep);
/// a live one answers active until exactly one End wins, after which everyone sees that End's tombstone; the last
/// activity is the phase's instant if and only if someone recorded activity. The registry's count and the ledger's
/// count must equal the model's after every phase.
/// </para>
/// <para>
/// In a moving phase a seventh thread advances the clock second by second while the workers run, so deadlines pass
/// under them. The model then checks invariants instead of exact answers: at most one End wins and its reason is the
/// tombstone's; every expired answer is the one tombstone; a session ended for timeout was idle for the whole timeout
/// after every activity anyone saw succeed (no touched-after-check session is ended for timeout) and held no lease
/// the whole phase; afterwards the model is read back from the registry.
/// </para>
/// <para>
/// At the end every session has started once, ended once with one reason and left one tombstone, and the meter's
/// counts (started, ended by reason, active, expired lookups by reason) equal what the model counted.
/// </para>
/// </remarks>
public class ModelBasedConcurrencyTests
{
    private const int Workers = 6;
    private const int InitialSessions = 2_000;
    private const int Phases = 24;
    private const int OperationsPerWorkerPerPhase = 1_500;
    private const int HotSessions = 48;
    private const int MaxHeldLeasesPerWorker = 6;
    private const int ClockStepsPerMovingPhase = 30;

    private static readonly Duration Idle = Duration.FromSeconds(45);
    private static readonly ExpiryReason[] EndReasons =
        [ExpiryReason.Deleted, ExpiryReason.Closed, ExpiryReason.Evicted, new RevokedReason()];

    private enum Op
    {
        Create,
        Touch,
        Lookup,
        Lease,
        Release,
        End,
        Sweep,
        Unknown,
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Random_concurrent_operations_agree_with_a_sequential_model_of_each_session()
    {
        using var factory = new ScopedMeterFactory();
        using var metrics = new MetricsCollector(factory);
        using var h = new RegistryHarness(
            o =>
            {
                o.IdleTimeout = Idle.ToTimeSpan();
                o.MaxSessions = 1_000_000;
                o.MaxLedgerEntries = 1_000_000;
            },
            meterFactory: factory);

        var run = new Run(h);
        for (int i = 0; i < InitialSessions; i++)
        {
            run.Add(await h.Registry.CreateAsync());
        }

        var random = new Random(20260211);
        for (int phase = 0; phase < Phases; phase++)
        {
            bool moving = phase % 2 == 1;
            int[] hot = run.PickLive(random, HotSessions);
            Instant start = h.Now;
            List<Rec>[] records = await run.PhaseAsync(phase, hot, moving);
            Instant end = h.Now;

            var bySession = records.SelectMany(r => r).Where(r => r.Session >= 0).ToLookup(r => r.Session);
            if (moving)
            {
                await run.CheckMovingPhaseAsync(bySession, start, end);
            }
            else
            {
                await run.CheckFrozenPhaseAsync(bySession, records.SelectMany(r => r).ToList(), end);
            }

            run.AddCreated(records, moving, start, end);
            await run.CheckCountsAsync();
            h.Advance(Duration.FromSeconds(random.Next(0, 26)));
        }

        await run.FinishAsync(metrics);
        run.Summary.Should().Match<Totals>(
            t => t.Timeouts > 100 && t.ExplicitEnds > 1_000 && t.Created > 2_000
                && t.RacedEnds > 50 && t.SavedByTouchAtDeadline > 20 && t.TimedOutUnderTouches > 10 && t.DueFoundByVisitors > 100,
            "the run must reach every kind of end and race, or it proves little");
        TestContext.Out.WriteLine(run.Summary.ToString());
    }

    /// <summary>What one operation answered.</summary>
    private readonly record struct Rec(
        Op Op,
        int Session,
        SessionLookupKind Kind,
        Instant LastActive,
        ExpiredSession? Tombstone,
        bool Won,
        ExpiryReason? Reason,
        int Swept,
        SessionInfo? Created);

    internal sealed record Totals(
        int Created,
        int Timeouts,
        int ExplicitEnds,
        int Closed,
        long Operations,
        int RacedEnds,
        int SavedByTouchAtDeadline,
        int TimedOutUnderTouches,
        int DueFoundByVisitors);

    /// <summary>The model of one session.</summary>
    private sealed class Model
    {
        public required SessionId Id { get; init; }

        public Instant LastActive { get; set; }

        public ExpiredSession? Tombstone { get; set; }

        public bool IsLive => Tombstone is null;
    }

    private sealed class Run(RegistryHarness h)
    {
        private readonly List<Model> _sessions = [];
        private readonly List<(int Session, SessionLease Lease)>[] _held =
            [.. Enumerable.Range(0, Workers).Select(_ => new List<(int, SessionLease)>())];

        private readonly Dictionary<string, long> _expiredAnswers = new(StringComparer.Ordinal);
        private List<(int Session, SessionLease Lease)> _heldAtPhaseStart = [];
        private long _operations;
        private int _racedEnds;
        private int _savedByTouch;
        private int _timedOutUnderTouches;
        private int _dueFoundByVisitors;

        public Totals Summary { get; private set; } = new(0, 0, 0, 0, 0, 0, 0, 0, 0);

        public void Add(SessionInfo created) =>
            _sessions.Add(new Model { Id = created.Id, LastActive = created.LastActiveAt });

        public int[] PickLive(Random random, int count)
        {
            int[] live = [.. Enumerable.Range(0, _sessions.Count).Where(i => _sessions[i].IsLive)];
            random.Shuffle(live);
            return live.Length <= count ? live : live[..count];
        }

        public async Task<List<Rec>[]> PhaseAsync(int phase, int[] hot, bool moving)
        {
            int known = _sessions.Count;
            _heldAtPhaseStart = [.. _held.SelectMany(list => list)];
            SessionId[] ids = [.. _sessions.Select(s => s.Id)];
            var records = new List<Rec>[Workers];
            long done = 0;
            using var gate = new Barrier(Workers + (moving ? 1 : 0));

            Task[] workers = [.. Enumerable.Range(0, Workers).Select(w => OnOwnThread(async () =>
            {
                var random = new Random((phase * 100) + w);
                var mine = new List<Rec>(OperationsPerWorkerPerPhase);
                records[w] = mine;
                List<(int Session, SessionLease Lease)> held = _held[w];
                gate.SignalAndWait();
                for (int op = 0; op < OperationsPerWorkerPerPhase; op++)
                {
                    int session = hot.Length > 0 && random.Next(2) == 0 ? hot[random.Next(hot.Length)] : random.Next(known);
                    mine.Add(await StepAsync(random, ids, session, held));
                    Interlocked.Increment(ref done);
                }
            }))];

            Task mover = !moving ? Task.CompletedTask : OnOwnThread(() =>
            {
                long total = (long)Workers * OperationsPerWorkerPerPhase;
                gate.SignalAndWait();
                for (int step = 1; step <= ClockStepsPerMovingPhase; step++)
                {
                    long target = total * step / (ClockStepsPerMovingPhase + 1);
                    var spinner = default(SpinWait);
                    while (Interlocked.Read(ref done) < target)
                    {
                        spinner.SpinOnce();
                    }

                    h.Clock.Advance(Duration.FromSeconds(1));
                }

                return Task.CompletedTask;
            });

            await Task.WhenAll(workers);
            await mover;
            _operations += Workers * OperationsPerWorkerPerPhase;
            return records;
        }

        private async Task<Rec> StepAsync(Random random, SessionId[] ids, int session, List<(int Session, SessionLease Lease)> held)
        {
            int roll = random.Next(1_000);
            SessionId id = ids[session];
            switch (roll)
            {
                case < 20:
                    return new Rec(Op.Create, -1, SessionLookupKind.Active, default, null, false, null, 0, await h.Registry.CreateAsync());
                case < 470 and >= 320:
                    return FromLookup(Op.Lookup, session, await h.Registry.LookupAsync(id));
                case < 570 and >= 470:
                {
                    SessionLease lease = await h.Registry.BeginLeaseAsync(id);
                    if (lease.IsHeld)
                    {
                        if (held.Count == MaxHeldLeasesPerWorker)
                        {
                            await held[0].Lease.DisposeAsync();
                            held.RemoveAt(0);
                        }

                        held.Add((session, lease));
                    }

                    return FromLookup(Op.Lease, session, lease.Lookup);
                }

                case < 670 and >= 570 when held.Count > 0:
                {
                    int which = random.Next(held.Count);
                    (int leased, SessionLease lease) = held[which];
                    held.RemoveAt(which);
                    await lease.DisposeAsync();
                    return new Rec(Op.Release, leased, SessionLookupKind.NotFound, default, null, false, null, 0, null);
                }

                case < 730 and >= 670:
                {
                    ExpiryReason reason = EndReasons[random.Next(EndReasons.Length)];
                    bool won = await h.Registry.EndAsync(id, reason);
                    return new Rec(Op.End, session, SessionLookupKind.NotFound, default, null, won, reason, 0, null);
                }

                case < 740 and >= 730:
                    return new Rec(Op.Sweep, -1, SessionLookupKind.NotFound, default, null, false, null, await h.Registry.SweepAsync(), null);
                case < 770 and >= 740:
                {
                    // Ids nobody issued: every call answers "unknown" and changes nothing.
                    SessionId unknown = SessionId.New();
                    (await h.Registry.TouchAsync(unknown)).IsNotFound.Should().BeTrue();
                    (await h.Registry.LookupAsync(unknown)).IsNotFound.Should().BeTrue();
                    await using (SessionLease lease = await h.Registry.BeginLeaseAsync(unknown))
                    {
                        lease.IsHeld.Should().BeFalse();
                    }

                    (await h.Registry.EndAsync(unknown, ExpiryReason.Deleted)).Should().BeFalse();
                    return new Rec(Op.Unknown, -1, SessionLookupKind.NotFound, default, null, false, null, 0, null);
                }

                default:
                    return FromLookup(Op.Touch, session, await h.Registry.TouchAsync(id));
            }
        }

        private static Rec FromLookup(Op op, int session, SessionLookup lookup) => lookup.Kind switch
        {
            SessionLookupKind.Active => new Rec(op, session, lookup.Kind, lookup.Session.LastActiveAt, null, false, null, 0, null),
            SessionLookupKind.Expired => new Rec(op, session, lookup.Kind, default, lookup.Expiry, false, null, 0, null),
            _ => new Rec(op, session, lookup.Kind, default, null, false, null, 0, null),
        };

        private void CountExpiredAnswers(IEnumerable<Rec> records)
        {
            foreach (Rec r in records.Where(r => r.Kind == SessionLookupKind.Expired))
            {
                _expiredAnswers[r.Tombstone!.Reason.Code] = _expiredAnswers.GetValueOrDefault(r.Tombstone.Reason.Code) + 1;
            }
        }

        private int LeasesHeldAtPhaseStart(int session) => _heldAtPhaseStart.Count(l => l.Session == session);

        // Leases that were held when the phase started and still are: the session was leased the whole phase.
        private int LeasesHeldThroughout(int session) =>
            _heldAtPhaseStart.Count(l => l.Session == session && _held.Any(list => list.Contains(l)));

        public async Task CheckFrozenPhaseAsync(ILookup<int, Rec> bySession, List<Rec> all, Instant now)
        {
            bool swept = all.Any(r => r.Op == Op.Sweep);
            int dueEnded = 0;
            for (int i = 0; i < _sessions.Count; i++)
            {
                Model model = _sessions[i];
                Rec[] recs = [.. bySession[i]];
                CountExpiredAnswers(recs);
                ExpiredSession? inLedger = await h.Ledger.FindAsync(model.Id);
                string where = $"session #{i} ({model.Id.Masked}) in a frozen phase at {now}";

                if (!model.IsLive)
                {
                    Every(recs, r => r.Op == Op.Release || r.Op == Op.End ? !r.Won : r.Tombstone == model.Tombstone, where);
                    inLedger.Should().Be(model.Tombstone, where);
                    continue;
                }

                bool heldAtStart = LeasesHeldAtPhaseStart(i) > 0;
                if (!heldAtStart && model.LastActive + Idle <= now)
                {
                    // Due at this instant: whoever looks first ends it for timeout; everyone sees that tombstone.
                    var expected = new ExpiredSession(model.Id, ExpiryReason.Timeout, model.LastActive + Idle, model.LastActive);
                    Every(recs, r => r.Op == Op.End ? !r.Won : r.Tombstone == expected, where);
                    bool visited = recs.Any(r => r.Op is Op.Touch or Op.Lookup or Op.Lease or Op.End);
                    if (visited || swept)
                    {
                        _dueFoundByVisitors += visited ? 1 : 0;
                        inLedger.Should().Be(expected, where);
                        model.Tombstone = expected;
                        dueEnded++;
                    }
                    else
                    {
                        inLedger.Should().BeNull(where);
                    }

                    continue;
                }

                Rec[] ends = [.. recs.Where(r => r.Op == Op.End)];
                Rec[] wins = [.. ends.Where(r => r.Won)];
                bool activity = recs.Any(r => r.Op is Op.Touch or Op.Lease && r.Kind == SessionLookupKind.Active);
                bool released = recs.Any(r => r.Op == Op.Release);
                wins.Should().HaveCount(ends.Length > 0 ? 1 : 0, "{0}: exactly one End wins when any is tried", where);
                _racedEnds += ends.Length > 1 ? 1 : 0;
                Every(recs.Where(r => r.Op is Op.Touch or Op.Lease && r.Kind == SessionLookupKind.Active), r => r.LastActive == now, where);
                Every(recs.Where(r => r.Op == Op.Lookup && r.Kind == SessionLookupKind.Active), r => r.LastActive == model.LastActive || (r.LastActive == now && (activity || released)), where);

                if (wins.Length == 1)
                {
                    inLedger.Should().NotBeNull(where);
                    inLedger!.Reason.Should().Be(wins[0].Reason, where);
                    inLedger.ExpiredAt.Should().Be(now, where);
                    if (activity)
                    {
                        inLedger.LastActiveAt.Should().Be(now, "{0}: activity answered before the end is in its tombstone", where);
                    }
                    else if (!released)
                    {
                        inLedger.LastActiveAt.Should().Be(model.LastActive, where);
                    }
                    else
                    {
                        inLedger.LastActiveAt.Should().BeOneOf(model.LastActive, now);
                    }

                    Every(recs.Where(r => r.Kind == SessionLookupKind.Expired), r => r.Tombstone == inLedger, where);
                    recs.Should().NotContain(r => r.Kind == SessionLookupKind.NotFound && r.Op != Op.End && r.Op != Op.Release, where);
                    model.Tombstone = inLedger;
                }
                else
                {
                    inLedger.Should().BeNull(where);
                    Every(recs, r => r.Op == Op.Release || r.Kind == SessionLookupKind.Active, where);
                    Instant expected = activity || released ? now : model.LastActive;
                    SessionLookup lookup = await h.Registry.LookupAsync(model.Id);
                    lookup.Session.LastActiveAt.Should().Be(expected, where);
                    model.LastActive = expected;
                }
            }

            all.Where(r => r.Op == Op.Sweep).Sum(r => r.Swept).Should().BeLessThanOrEqualTo(
                dueEnded, "a sweep at a fixed instant ends only sessions that were due");
        }

        public async Task CheckMovingPhaseAsync(ILookup<int, Rec> bySession, Instant start, Instant end)
        {
            for (int i = 0; i < _sessions.Count; i++)
            {
                Model model = _sessions[i];
                Rec[] recs = [.. bySession[i]];
                CountExpiredAnswers(recs);
                ExpiredSession? inLedger = await h.Ledger.FindAsync(model.Id);
                string where = $"session #{i} ({model.Id.Masked}) in a moving phase {start}..{end}";

                if (!model.IsLive)
                {
                    Every(recs, r => r.Op == Op.Release || r.Op == Op.End ? !r.Won : r.Tombstone == model.Tombstone, where);
                    inLedger.Should().Be(model.Tombstone, where);
                    continue;
                }

                Rec[] wins = [.. recs.Where(r => r.Op == Op.End && r.Won)];
                wins.Length.Should().BeLessThanOrEqualTo(1, "{0}: one End at most wins", where);
                Instant latestSeen = recs
                    .Where(r => r.Kind == SessionLookupKind.Active)
                    .Select(r => r.LastActive)
                    .DefaultIfEmpty(model.LastActive)
                    .Max();

                if (inLedger is null)
                {
                    wins.Should().BeEmpty(where);
                    Every(recs, r => r.Op == Op.Release || r.Op == Op.End || r.Kind == SessionLookupKind.Active, where);
                    SessionLookup lookup = await h.Registry.LookupAsync(model.Id);
                    if (lookup.IsActive)
                    {
                        Instant deadline = model.LastActive + Idle;
                        _savedByTouch += deadline > start && deadline <= end && LeasesHeldAtPhaseStart(i) == 0 ? 1 : 0;
                        lookup.Session.LastActiveAt.Should().BeGreaterThanOrEqualTo(latestSeen, where);
                        model.LastActive = lookup.Session.LastActiveAt;
                        continue;
                    }

                    // Overdue and unnoticed until this lookup ended it.
                    CountExpiredAnswers([FromLookup(Op.Lookup, i, lookup)]);
                    inLedger = lookup.Expiry;
                }

                Every(recs.Where(r => r.Kind == SessionLookupKind.Expired), r => r.Tombstone == inLedger, where);
                if (wins.Length == 1)
                {
                    inLedger.Reason.Should().Be(wins[0].Reason, where);
                    inLedger.ExpiredAt.Should().BeGreaterThanOrEqualTo(start, where).And.BeLessThanOrEqualTo(end, where);
                    inLedger.ExpiredAt.Should().BeGreaterThanOrEqualTo(
                        latestSeen, "{0}: an end is never dated before activity it let through (see EndInstantTests)", where);
                    inLedger.ExpiredAt.Should().BeGreaterThanOrEqualTo(inLedger.LastActiveAt, where);
                }
                else
                {
                    inLedger.Reason.Should().Be(ExpiryReason.Timeout, "{0}: nothing else ends a session here", where);
                    inLedger.ExpiredAt.Should().Be(inLedger.LastActiveAt + Idle, where);
                    inLedger.ExpiredAt.Should().BeLessThanOrEqualTo(h.Now, where);
                    inLedger.LastActiveAt.Should().BeGreaterThanOrEqualTo(
                        latestSeen, "{0}: a touch that succeeded must not be lost to a timeout", where);
                    _timedOutUnderTouches += inLedger.ExpiredAt > start
                        && recs.Any(r => r.Op is Op.Touch or Op.Lease && r.Kind == SessionLookupKind.Expired) ? 1 : 0;
                    LeasesHeldThroughout(i).Should().Be(0, "{0}: a session leased the whole phase cannot time out", where);
                }

                model.Tombstone = inLedger;
            }
        }

        public void AddCreated(List<Rec>[] records, bool moving, Instant start, Instant end)
        {
            foreach (Rec r in records.SelectMany(r => r).Where(r => r.Op == Op.Create))
            {
                SessionInfo created = r.Created!.Value;
                created.CreatedAt.Should().Be(created.LastActiveAt);
                if (moving)
                {
                    created.CreatedAt.Should().BeGreaterThanOrEqualTo(start).And.BeLessThanOrEqualTo(end);
                }
                else
                {
                    created.CreatedAt.Should().Be(end);
                }

                Add(created);
            }
        }

        public async Task CheckCountsAsync()
        {
            (await h.Registry.CountAsync()).Should().Be(_sessions.Count(s => s.IsLive), "the registry counts the model's live sessions");
            (await h.Ledger.CountAsync()).Should().Be(_sessions.Count(s => !s.IsLive), "one tombstone per ended session, none for unknown ids");
        }

        public async Task FinishAsync(MetricsCollector metrics)
        {
            foreach (List<(int Session, SessionLease Lease)> held in _held)
            {
                foreach ((_, SessionLease lease) in held)
                {
                    await lease.DisposeAsync();
                }

                held.Clear();
            }

            int closed = await h.Registry.EndAllAsync(ExpiryReason.Closed);
            h.Registry.Count.Should().Be(0);

            int total = _sessions.Count;
            h.Observer.Started.Should().HaveCount(total);
            h.Observer.Started.Select(s => s.Id).Should().OnlyHaveUniqueItems();
            h.Observer.Ended.Should().HaveCount(total, "every session ends exactly once");
            h.Observer.EndedCountById.Values.Should().OnlyContain(count => count == 1);
            h.Ledger.Count.Should().Be(total, "one tombstone per session");

            var byReason = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (Model model in _sessions)
            {
                ExpiredSession tombstone = (await h.Ledger.FindAsync(model.Id))!;
                tombstone.Should().NotBeNull();
                h.Observer.EndedFor(model.Id).Should().Equal(tombstone);
                if (model.Tombstone is not null)
                {
                    tombstone.Should().Be(model.Tombstone, "a tombstone never changes once written");
                }

                byReason[tombstone.Reason.Code] = byReason.GetValueOrDefault(tombstone.Reason.Code) + 1;
            }

            metrics.Sum("limps.sessions.started").Should().Be(total);
            metrics.Sum("limps.sessions.ended").Should().Be(total);
            metrics.Sum("limps.sessions.active").Should().Be(0);
            foreach ((string code, int count) in byReason)
            {
                metrics.Sum("limps.sessions.ended", code).Should().Be(count, "ended{{reason={0}}}", code);
            }

            foreach ((string code, long count) in _expiredAnswers)
            {
                metrics.Sum("limps.sessions.expired_lookups", code).Should().Be(count, "expired_lookups{{reason={0}}}", code);
            }

            metrics.Sum("limps.sessions.expired_lookups").Should().Be(_expiredAnswers.Values.Sum());

            Summary = new Totals(
                total,
                byReason.GetValueOrDefault("timeout"),
                total - byReason.GetValueOrDefault("timeout") - closed,
                closed,
                _operations,
                _racedEnds,
                _savedByTouch,
                _timedOutUnderTouches,
                _dueFoundByVisitors);
        }

        // Every record satisfies the predicate (vacuously true for none); names the first that does not.
        private static void Every(IEnumerable<Rec> records, Func<Rec, bool> predicate, string where)
        {
            foreach (Rec record in records)
            {
                predicate(record).Should().BeTrue("{0}: {1} answered {2}", where, record.Op, record);
            }
        }

        private static Task OnOwnThread(Func<Task> work) =>
            Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }
}
