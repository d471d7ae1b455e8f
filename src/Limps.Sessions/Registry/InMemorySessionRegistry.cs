using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace Limps.Sessions;

/// <summary>
/// An <see cref="ISessionRegistry"/> in process memory, for a single server process.
/// </summary>
/// <remarks>
/// <para>
/// Touch and lookup of a live session are one dictionary hit plus one compare-and-swap, and allocate nothing.
/// Idle deadlines sit in a min-heap that touches never update; a sweep pops only the sessions whose scheduled
/// deadline has passed and pushes back those that were used since, so it costs in proportion to the sessions that
/// are due, not to all live sessions.
/// </para>
/// <para>
/// Activity instants are kept with microsecond precision, rounded up, so a session never idles out early. Every
/// decision reads the injected <see cref="IClock"/>.
/// </para>
/// </remarks>
public sealed partial class InMemorySessionRegistry : ISessionRegistry, IDisposable
{
    private const long TicksPerMicrosecond = 10;

    private readonly ConcurrentDictionary<string, SessionEntry> _sessions = new();
    private readonly DeadlineHeap _heap = new();
    private readonly Lock _heapLock = new();
    private readonly IClock _clock;
    private readonly CoarseClock? _coarseClock;
    private readonly IExpiryLedger _ledger;
    private readonly SessionTelemetry _telemetry;
    private readonly int _maxSessions;
    private readonly long _idleTicks;
    private readonly long _lifetimeTicks;
    private readonly long _recheckLeasedTicks;
    private readonly long _retentionTicks;
    private readonly long _epochUnixTicks;
    private int _count;
    private int _endsInFlight;

    /// <summary>Creates a registry on the system clock with an in-memory ledger.</summary>
    /// <param name="options">The options; validated here.</param>
    public InMemorySessionRegistry(LimpsSessionsOptions options)
        : this(options, SystemClock.Instance)
    {
    }

    /// <summary>Creates a registry on a given clock with an in-memory ledger.</summary>
    /// <param name="options">The options; validated here.</param>
    /// <param name="clock">The clock every expiry decision reads.</param>
    public InMemorySessionRegistry(LimpsSessionsOptions options, IClock clock)
        : this(options, clock, new InMemoryExpiryLedger(options, clock))
    {
    }

    /// <summary>Creates a registry.</summary>
    /// <param name="options">The options; validated here.</param>
    /// <param name="clock">The clock every expiry decision reads.</param>
    /// <param name="ledger">Where tombstones of ended sessions go.</param>
    /// <param name="observers">Notified when sessions start and end.</param>
    /// <param name="logger">The logger; ids are always masked.</param>
    /// <param name="meterFactory">Creates the <c>Limps.Sessions</c> meter; <see langword="null"/> creates a standalone one.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are not valid.</exception>
    public InMemorySessionRegistry(
        LimpsSessionsOptions options,
        IClock clock,
        IExpiryLedger ledger,
        IEnumerable<ISessionLifecycleObserver>? observers = null,
        ILogger<InMemorySessionRegistry>? logger = null,
        IMeterFactory? meterFactory = null)
    {
        LimpsSessionsOptionsValidator.ThrowIfInvalid(options);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(ledger);
        _clock = clock;
        _coarseClock = clock as CoarseClock;
        _ledger = ledger;
        _telemetry = new SessionTelemetry(logger, meterFactory, observers);
        _maxSessions = options.MaxSessions;
        _idleTicks = options.IdleTimeout.Ticks;
        _lifetimeTicks = options.MaxLifetime.Ticks;
        _recheckLeasedTicks = _idleTicks > 0 ? _idleTicks : options.EffectiveSweepInterval.Ticks;
        _retentionTicks = options.LedgerRetention.Ticks;

        // A microsecond-aligned epoch a day in the past leaves room for a clock that is set back a little.
        long unixNow = clock.GetCurrentInstant().ToUnixTimeTicks() - TimeSpan.TicksPerDay;
        _epochUnixTicks = unixNow - (unixNow % TicksPerMicrosecond);
    }

    private enum Access
    {
        Lookup,
        Touch,
        Lease,
    }

    /// <summary>Gets the number of live sessions.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Gets how many sessions are on the deadline schedule, including ended ones not yet dropped.</summary>
    internal int ScheduledCount
    {
        get
        {
            lock (_heapLock)
            {
                return _heap.Count;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<SessionInfo> CreateAsync(
        SessionId? id = null,
        string? owner = null,
        IReadOnlyDictionary<string, string>? metadata = null,
        CancellationToken cancellationToken = default)
    {
        SessionId sessionId = id ?? SessionId.New();
        if (sessionId.IsEmpty)
        {
            throw new ArgumentException("The session id must not be empty.", nameof(id));
        }

        if (id.HasValue && _sessions.ContainsKey(sessionId.ToString()))
        {
            return CreateOverOverdueAsync(sessionId, owner, metadata, cancellationToken);
        }

        return TryReserveSlot()
            ? new ValueTask<SessionInfo>(Register(sessionId, owner, metadata))
            : CreateAfterSweepAsync(sessionId, owner, metadata, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<SessionLookup> LookupAsync(SessionId id, CancellationToken cancellationToken = default) =>
        Find(id, Access.Lookup, cancellationToken);

    /// <inheritdoc />
    public ValueTask<SessionLookup> TouchAsync(SessionId id, CancellationToken cancellationToken = default) =>
        Find(id, Access.Touch, cancellationToken);

    /// <inheritdoc />
    public ValueTask<SessionLease> BeginLeaseAsync(SessionId id, CancellationToken cancellationToken = default)
    {
        if (id.IsEmpty || !_sessions.TryGetValue(id.ToString(), out SessionEntry? entry))
        {
            // Not live when looked at: the answer is the ledger's, even if a create of this id lands meanwhile.
            ValueTask<SessionLookup> unknown = id.IsEmpty
                ? new ValueTask<SessionLookup>(SessionLookup.NotFound)
                : FindInLedger(id, cancellationToken);
            return unknown.IsCompletedSuccessfully
                ? new ValueTask<SessionLease>(SessionLease.NotHeld(unknown.Result))
                : AwaitNotHeld(unknown);
        }

        SessionLookup lookup = Visit(entry, Access.Lease, out ValueTask pending);
        SessionLease lease = lookup.IsActive ? new Lease(this, entry, lookup) : SessionLease.NotHeld(lookup);
        return pending.IsCompletedSuccessfully ? new ValueTask<SessionLease>(lease) : AwaitLease(pending, lease);

        static async ValueTask<SessionLease> AwaitNotHeld(ValueTask<SessionLookup> pending) =>
            SessionLease.NotHeld(await pending.ConfigureAwait(false));

        static async ValueTask<SessionLease> AwaitLease(ValueTask pending, SessionLease lease)
        {
            await pending.ConfigureAwait(false);
            return lease;
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> EndAsync(SessionId id, ExpiryReason reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reason);
        if (id.IsEmpty || !_sessions.TryGetValue(id.ToString(), out SessionEntry? entry))
        {
            return new ValueTask<bool>(false);
        }

        long now = NowTicks();
        while (true)
        {
            long state = Volatile.Read(ref entry.State);
            if (SessionEntry.IsEnded(state))
            {
                return new ValueTask<bool>(false);
            }

            long deadline = DueAt(entry, state, out ExpiryReason dueReason, out long expiredAt);
            bool overdue = now >= deadline;
            if (!TryClaimEnd(entry, state))
            {
                continue;
            }

            // A session already past its deadline has expired for that reason; this call did not end it. An end is
            // never dated before the last activity it records (a request may have landed since the clock was read).
            ValueTask pending = overdue
                ? CompleteEnd(entry, dueReason, expiredAt, state)
                : CompleteEnd(entry, reason, Math.Max(now, LastActiveTicks(state)), state);
            return pending.IsCompletedSuccessfully
                ? new ValueTask<bool>(!overdue)
                : AwaitEnd(pending, !overdue);
        }
    }

    /// <inheritdoc />
    public async ValueTask<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        long now = NowTicks();
        List<(SessionEntry Entry, long Deadline)>? due = null;
        lock (_heapLock)
        {
            while (_heap.TryPopDue(now, out SessionEntry entry, out long deadline))
            {
                // Sessions that ended some other way are simply dropped from the schedule here.
                if (!SessionEntry.IsEnded(Volatile.Read(ref entry.State)))
                {
                    (due ??= []).Add((entry, deadline));
                }
            }
        }

        int ended = 0;
        int next = 0;
        try
        {
            for (; next < (due?.Count ?? 0); next++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                SessionEntry entry = due![next].Entry;
                if (TryExpire(entry, now, out ValueTask pending, out long nextCheck))
                {
                    ended++;
                    await pending.ConfigureAwait(false);
                }
                else if (nextCheck != long.MaxValue)
                {
                    Reschedule(entry, nextCheck);
                }
            }
        }
        finally
        {
            // Popped entries this sweep did not get to (it was cancelled or a store failed) go back on the heap at
            // their old deadline; otherwise they would never be swept again.
            for (; next < (due?.Count ?? 0); next++)
            {
                Reschedule(due![next].Entry, due[next].Deadline);
            }
        }

        int pruned = await _ledger.PruneAsync(cancellationToken).ConfigureAwait(false);
        _telemetry.SweepCompleted(ended, pruned);
        return ended;
    }

    /// <inheritdoc />
    public async ValueTask<int> EndAllAsync(ExpiryReason reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reason);
        int ended = 0;
        foreach (KeyValuePair<string, SessionEntry> pair in _sessions)
        {
            if (await EndAsync(pair.Value.Id, reason, cancellationToken).ConfigureAwait(false))
            {
                ended++;
            }
        }

        return ended;
    }

    /// <inheritdoc />
    public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) => new(Count);

    /// <summary>Disposes the standalone meter, if the registry created one.</summary>
    public void Dispose() => _telemetry.Dispose();

    private static async ValueTask<bool> AwaitEnd(ValueTask pending, bool result)
    {
        await pending.ConfigureAwait(false);
        return result;
    }

    private long NowTicks() =>
        (_coarseClock is null ? _clock.GetCurrentInstant().ToUnixTimeTicks() : _coarseClock.UnixTicks) - _epochUnixTicks;

    private Instant ToInstant(long registryTicks) => Instant.FromUnixTimeTicks(registryTicks + _epochUnixTicks);

    private static long ToMicrosRoundedUp(long registryTicks) => registryTicks <= 0
        ? 0
        : Math.Min((registryTicks + TicksPerMicrosecond - 1) / TicksPerMicrosecond, SessionEntry.TimeMask);

    private static long LastActiveTicks(long state) => SessionEntry.LastActiveMicros(state) * TicksPerMicrosecond;

    // When the session becomes due (registry ticks), ignoring nothing: a leased session is never due.
    private long DueAt(SessionEntry entry, long state, out ExpiryReason reason, out long expiredAt)
    {
        reason = ExpiryReason.Timeout;
        expiredAt = long.MaxValue;
        if (SessionEntry.Leases(state) > 0)
        {
            return long.MaxValue;
        }

        long lastActive = LastActiveTicks(state);
        if (_idleTicks > 0)
        {
            expiredAt = lastActive + _idleTicks;
        }

        if (_lifetimeTicks > 0)
        {
            long lifetimeEnd = entry.CreatedAtTicks + _lifetimeTicks;
            if (lifetimeEnd < expiredAt)
            {
                reason = ExpiryReason.Lifetime;

                // A session kept busy past its lifetime ends when its last request does.
                expiredAt = Math.Max(lifetimeEnd, lastActive);
            }
        }

        return expiredAt;
    }

    private ValueTask<SessionLookup> Find(SessionId id, Access access, CancellationToken cancellationToken)
    {
        if (id.IsEmpty)
        {
            return new ValueTask<SessionLookup>(SessionLookup.NotFound);
        }

        if (!_sessions.TryGetValue(id.ToString(), out SessionEntry? entry))
        {
            return FindInLedger(id, cancellationToken);
        }

        SessionLookup answer = Visit(entry, access, out ValueTask pending);
        return pending.IsCompletedSuccessfully ? new ValueTask<SessionLookup>(answer) : AwaitAnswer(pending, answer);
    }

    // Answers for a live entry, ending it first when it is due; records activity and takes a lease as asked.
    // When this call ends the session, pending completes once the tombstone is recorded.
    private SessionLookup Visit(SessionEntry entry, Access access, out ValueTask pending)
    {
        pending = default;
        long now = NowTicks();
        long nowMicros = ToMicrosRoundedUp(now);
        while (true)
        {
            long state = Volatile.Read(ref entry.State);
            if (SessionEntry.IsEnded(state))
            {
                return EndedAnswer(WaitForTombstone(entry), now);
            }

            long deadline = DueAt(entry, state, out ExpiryReason reason, out long expiredAt);
            if (now >= deadline)
            {
                if (TryClaimEnd(entry, state))
                {
                    pending = CompleteEnd(entry, reason, expiredAt, state);
                    return EndedAnswer(entry.Tombstone!, now);
                }

                continue;
            }

            long next = state;
            if (access != Access.Lookup && nowMicros > SessionEntry.LastActiveMicros(state))
            {
                next = SessionEntry.WithLastActive(state, nowMicros);
            }

            if (access == Access.Lease)
            {
                if (SessionEntry.Leases(state) == SessionEntry.MaxLeases)
                {
                    throw new InvalidOperationException(
                        $"Session {entry.Id.Masked} already has {SessionEntry.MaxLeases} requests in flight.");
                }

                next += SessionEntry.OneLease;
            }

            if (next == state || Interlocked.CompareExchange(ref entry.State, next, state) == state)
            {
                return SessionLookup.Active(Snapshot(entry, next));
            }
        }
    }

    private static async ValueTask<SessionLookup> AwaitAnswer(ValueTask pending, SessionLookup answer)
    {
        await pending.ConfigureAwait(false);
        return answer;
    }

    private ValueTask<SessionLookup> FindInLedger(SessionId id, CancellationToken cancellationToken)
    {
        ValueTask<ExpiredSession?> found = _ledger.FindAsync(id, cancellationToken);
        return found.IsCompletedSuccessfully
            ? new ValueTask<SessionLookup>(LedgerAnswer(found.Result))
            : AwaitLedger(found);

        async ValueTask<SessionLookup> AwaitLedger(ValueTask<ExpiredSession?> pending) =>
            LedgerAnswer(await pending.ConfigureAwait(false));
    }

    private SessionLookup LedgerAnswer(ExpiredSession? tombstone) =>
        tombstone is null ? SessionLookup.NotFound : ExpiredAnswer(tombstone);

    private SessionLookup ExpiredAnswer(ExpiredSession tombstone)
    {
        _telemetry.ExpiredLookup(tombstone.Reason);
        return SessionLookup.Expired(tombstone);
    }

    // A tombstone read from a live entry (not from the ledger) is answered only while the ledger would still answer
    // it: a session found overdue longer ago than the retention, or with retention zero, reads as unknown.
    private SessionLookup EndedAnswer(ExpiredSession tombstone, long now) =>
        now - (tombstone.ExpiredAt.ToUnixTimeTicks() - _epochUnixTicks) < _retentionTicks
            ? ExpiredAnswer(tombstone)
            : SessionLookup.NotFound;

    private SessionInfo Snapshot(SessionEntry entry, long state) =>
        new(entry.Id, entry.CreatedAtTicks + _epochUnixTicks, LastActiveTicks(state) + _epochUnixTicks, entry.Extras);

    // The thread that won the end publishes the tombstone right after its swap, with nothing in between that
    // can block, so a reader that sees the ended bit waits only a moment.
    private static ExpiredSession WaitForTombstone(SessionEntry entry)
    {
        SpinWait spinner = default;
        ExpiredSession? tombstone;
        while ((tombstone = Volatile.Read(ref entry.Tombstone)) is null)
        {
            spinner.SpinOnce();
        }

        return tombstone;
    }

    // Ends the entry when it is due. Otherwise says when to look at it again (long.MaxValue: never).
    private bool TryExpire(SessionEntry entry, long now, out ValueTask pending, out long nextCheck)
    {
        pending = default;
        nextCheck = long.MaxValue;
        while (true)
        {
            long state = Volatile.Read(ref entry.State);
            if (SessionEntry.IsEnded(state))
            {
                return false;
            }

            long deadline = DueAt(entry, state, out ExpiryReason reason, out long expiredAt);
            if (now < deadline)
            {
                nextCheck = deadline == long.MaxValue && SessionEntry.Leases(state) > 0
                    ? now + _recheckLeasedTicks
                    : deadline;
                return false;
            }

            if (TryClaimEnd(entry, state))
            {
                pending = CompleteEnd(entry, reason, expiredAt, state);
                return true;
            }
        }
    }

    private void Reschedule(SessionEntry entry, long deadlineTicks)
    {
        lock (_heapLock)
        {
            // Only sessions this sweep popped come here, so none is on the heap twice.
            if (!SessionEntry.IsEnded(Volatile.Read(ref entry.State)))
            {
                _heap.Push(entry, deadlineTicks);
            }
        }
    }

    private bool TryReserveSlot()
    {
        int current = Volatile.Read(ref _count);
        while (current < _maxSessions)
        {
            int seen = Interlocked.CompareExchange(ref _count, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    // An id may be reused once its session has ended; a session past its deadline has ended even if nothing
    // noticed yet, so end it first. A session that is still live keeps its id.
    private async ValueTask<SessionInfo> CreateOverOverdueAsync(
        SessionId id,
        string? owner,
        IReadOnlyDictionary<string, string>? metadata,
        CancellationToken cancellationToken)
    {
        await LookupAsync(id, cancellationToken).ConfigureAwait(false);
        return TryReserveSlot()
            ? Register(id, owner, metadata)
            : await CreateAfterSweepAsync(id, owner, metadata, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<SessionInfo> CreateAfterSweepAsync(
        SessionId id,
        string? owner,
        IReadOnlyDictionary<string, string>? metadata,
        CancellationToken cancellationToken)
    {
        // Overdue sessions still count until something ends them; end them before refusing.
        await SweepAsync(cancellationToken).ConfigureAwait(false);
        SpinWait spinner = default;
        while (!TryReserveSlot())
        {
            // A slot that another thread is freeing right now counts as free: wait the few instructions it takes.
            if (Volatile.Read(ref _endsInFlight) == 0 || spinner.Count >= 100)
            {
                _telemetry.CapacityReached(_maxSessions);
                throw new SessionCapacityExceededException(_maxSessions);
            }

            spinner.SpinOnce();
        }

        return Register(id, owner, metadata);
    }

    private SessionInfo Register(SessionId id, string? owner, IReadOnlyDictionary<string, string>? metadata)
    {
        long createdTicks = NowTicks();
        var entry = new SessionEntry(id, createdTicks, SessionExtras.For(owner, metadata))
        {
            State = ToMicrosRoundedUp(createdTicks),
        };

        string key = id.ToString();
        while (!_sessions.TryAdd(key, entry))
        {
            if (!_sessions.TryGetValue(key, out SessionEntry? existing))
            {
                continue;
            }

            if (!SessionEntry.IsEnded(Volatile.Read(ref existing.State)))
            {
                Interlocked.Decrement(ref _count);
                throw new InvalidOperationException($"A live session with id {id.Masked} already exists.");
            }

            // The previous session with this id has ended and is on its way out: take its place. Its own removal
            // only removes it, never a successor.
            if (_sessions.TryUpdate(key, entry, existing))
            {
                break;
            }
        }

        long deadline = DueAt(entry, entry.State, out _, out _);
        if (deadline != long.MaxValue)
        {
            lock (_heapLock)
            {
                if (!SessionEntry.IsEnded(Volatile.Read(ref entry.State)))
                {
                    _heap.Push(entry, deadline);
                }
            }
        }

        SessionInfo info = Snapshot(entry, entry.State);
        _telemetry.SessionStarted(info);
        return info;
    }

    // Sets the ended bit if the state is still the one the caller decided on. The live count drops with the swap, and
    // a marker held across it lets a create refused at capacity tell an end in flight from a full registry.
    private bool TryClaimEnd(SessionEntry entry, long state)
    {
        Interlocked.Increment(ref _endsInFlight);
        try
        {
            if (Interlocked.CompareExchange(ref entry.State, state | SessionEntry.EndedBit, state) != state)
            {
                return false;
            }

            Interlocked.Decrement(ref _count);
            return true;
        }
        finally
        {
            Interlocked.Decrement(ref _endsInFlight);
        }
    }

    // Runs once per session, on the thread whose swap set the ended bit.
    private ValueTask CompleteEnd(SessionEntry entry, ExpiryReason reason, long expiredAtTicks, long finalState)
    {
        var tombstone = new ExpiredSession(
            entry.Id, reason, ToInstant(expiredAtTicks), ToInstant(LastActiveTicks(finalState)));
        Volatile.Write(ref entry.Tombstone, tombstone);

#pragma warning disable CA2012 // Consumed exactly once: checked for synchronous completion, else awaited.
        ValueTask<bool> recorded;
        try
        {
            recorded = _ledger.RecordAsync(tombstone);
        }
        catch
        {
            Forget(entry, tombstone);
            throw;
        }

        if (recorded.IsCompletedSuccessfully)
        {
            Forget(entry, tombstone);
            return default;
        }

        return AwaitRecordThenForget(recorded, entry, tombstone);
#pragma warning restore CA2012
    }

    private async ValueTask AwaitRecordThenForget(ValueTask<bool> recorded, SessionEntry entry, ExpiredSession tombstone)
    {
        try
        {
            await recorded.ConfigureAwait(false);
        }
        finally
        {
            Forget(entry, tombstone);
        }
    }

    // The tombstone is in the ledger before the live entry goes, so a concurrent lookup always finds one or the other.
    private void Forget(SessionEntry entry, ExpiredSession tombstone)
    {
        _sessions.TryRemove(new KeyValuePair<string, SessionEntry>(entry.Id.ToString(), entry));
        CompactScheduleIfMostlyEnded(Volatile.Read(ref _count));
        _telemetry.SessionEnded(tombstone);
    }

    // Sessions ended by a DELETE or a lookup stay on the heap until their deadline pops them. Under a flood of short
    // sessions that would hold memory for a whole idle timeout, so once ended ones outnumber live ones the heap is
    // compacted: O(n) after at least n/2 ends, so O(1) per end.
    private void CompactScheduleIfMostlyEnded(int live)
    {
        if (_heap.Count <= (2 * live) + 1024)
        {
            return;
        }

        lock (_heapLock)
        {
            if (_heap.Count > (2 * Volatile.Read(ref _count)) + 1024)
            {
                _heap.RemoveEnded();
            }
        }
    }

    private void ReleaseLease(SessionEntry entry)
    {
        long nowMicros = ToMicrosRoundedUp(NowTicks());
        while (true)
        {
            long state = Volatile.Read(ref entry.State);
            long next = state - SessionEntry.OneLease;
            if (nowMicros > SessionEntry.LastActiveMicros(next))
            {
                // The idle clock restarts when a request ends.
                next = SessionEntry.WithLastActive(next, nowMicros);
            }

            if (Interlocked.CompareExchange(ref entry.State, next, state) == state)
            {
                return;
            }
        }
    }

    private sealed class Lease(InMemorySessionRegistry registry, SessionEntry entry, SessionLookup lookup)
        : SessionLease(lookup)
    {
        protected override ValueTask ReleaseAsync()
        {
            registry.ReleaseLease(entry);
            return ValueTask.CompletedTask;
        }
    }
}
