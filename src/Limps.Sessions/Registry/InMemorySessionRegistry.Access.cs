using System.Runtime.CompilerServices;

namespace Limps.Sessions;

// Looking sessions up and touching them (the hot path: one table probe and one compare-and-swap, no allocation),
// and the answers for ended ones.
public sealed partial class InMemorySessionRegistry
{
    /// <inheritdoc />
    public ValueTask<SessionLookup> LookupAsync(SessionId id, CancellationToken cancellationToken = default) =>
        Find(id, Access.Lookup, cancellationToken);

    /// <inheritdoc />
    public ValueTask<SessionLookup> TouchAsync(SessionId id, CancellationToken cancellationToken = default) =>
        Find(id, Access.Touch, cancellationToken);

    // Kept out of the public methods: inlined there, the table probe used up the JIT's inlining budget and left
    // the small helpers below as calls.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ValueTask<SessionLookup> Find(SessionId id, Access access, CancellationToken cancellationToken)
    {
        if (id.IsEmpty)
        {
            return new ValueTask<SessionLookup>(SessionLookup.NotFound);
        }

        if (_sessions.Find(id.ToString()) is not { } entry)
        {
            return FindInLedger(id, cancellationToken);
        }

        return Answer(entry, access);
    }

    /// <summary>Finds the entry of a live (or just ended) session or handle, without touching it.</summary>
    internal SessionEntry? FindEntry(SessionId id) => id.IsEmpty ? null : _sessions.Find(id.ToString());

    /// <summary>Touches an entry found by <see cref="FindEntry"/>: the same answer as <see cref="TouchAsync"/> for its id.</summary>
    internal ValueTask<SessionLookup> TouchEntry(SessionEntry entry) => Answer(entry, Access.Touch);

    /// <summary>
    /// The touch of a caller that needs only "live or not" (a handle use): true when the entry is live well inside its
    /// deadlines and the touch has nothing to write, answered without building a snapshot. False means "ask
    /// <see cref="TouchEntry"/>", not "ended".
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryTouchInPlace(SessionEntry entry)
    {
        long now = NowTicks();
        long state = Volatile.Read(ref entry.State);
        return !SessionEntry.IsEnded(state) && IsWellInsideDeadlines(entry, state, now) && now <= LastActiveTicks(state);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ValueTask<SessionLookup> Answer(SessionEntry entry, Access access)
    {
        // The common case, answered in place: a live session well inside its deadlines, with nothing to write (a
        // lookup, or a touch within the same clock sample as the last activity, as is usual on a coarse clock).
        long now = NowTicks();
        long state = Volatile.Read(ref entry.State);
        if (!SessionEntry.IsEnded(state)
            && IsWellInsideDeadlines(entry, state, now)
            && (access == Access.Lookup || now <= LastActiveTicks(state))
            && entry.TryReadExtras(out SessionExtras? extras))
        {
            return new ValueTask<SessionLookup>(SessionLookup.ActiveOf(Snapshot(entry, state, extras)));
        }

        return FindLive(entry, access);
    }

    // Out of line: the common case above stays small enough for its helpers to inline and its frame to stay small.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ValueTask<SessionLookup> FindLive(SessionEntry entry, Access access)
    {
        SessionLookup answer = Visit(entry, access, out ValueTask pending);
        return pending.IsCompletedSuccessfully ? new ValueTask<SessionLookup>(answer) : AwaitAnswer(pending, answer);
    }

    // Answers for a live entry, ending it first when it is due; records activity and takes a lease as asked.
    // When this call ends the session, pending completes once the tombstone is recorded.
    private SessionLookup Visit(SessionEntry entry, Access access, out ValueTask pending)
    {
        pending = default;
        long now = NowTicks();
        while (true)
        {
            long state = Volatile.Read(ref entry.State);
            if (SessionEntry.IsEnded(state))
            {
                return EndedAnswer(WaitForTombstone(entry), now);
            }

            // Most visits find a session well inside both its idle and its lifetime window: two compares decide it.
            // Only a session near or past a deadline, or leased, takes the exact rule.
            if (!IsWellInsideDeadlines(entry, state, now))
            {
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
            }

            // Read after a State that was not ended: extras that are still extras belong to that State (the tail
            // becomes the tombstone only after the ended bit is set, which would fail the swap below or, with no
            // swap, makes this answer the one that was true when State was read).
            if (!entry.TryReadExtras(out SessionExtras? extras))
            {
                continue;
            }

            long next = state;

            // Compared in ticks: the activity recorded is now rounded up to the microsecond, which is later than the
            // recorded one exactly when now is later than it in ticks.
            if (access != Access.Lookup && now > LastActiveTicks(state))
            {
                next = SessionEntry.WithLastActive(state, ToMicrosRoundedUp(now));
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
                return SessionLookup.ActiveOf(Snapshot(entry, next, extras));
            }
        }
    }

    // True when now is before both the idle deadline and the lifetime end, so the session is certainly not due
    // (DueAt's deadline is never earlier than the smaller of the two). False says nothing: ask DueAt.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsWellInsideDeadlines(SessionEntry entry, long state, long now) =>
        now < LastActiveTicks(state) + _idleWindowTicks && now < entry.CreatedAtTicks + _lifetimeWindowTicks;

    private static async ValueTask<SessionLookup> AwaitAnswer(ValueTask pending, SessionLookup answer)
    {
        await pending.ConfigureAwait(false);
        return answer;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private SessionInfo Snapshot(SessionEntry entry, long state, SessionExtras? extras) =>
        new(entry.Id, entry.CreatedAtTicks + _epochUnixTicks, LastActiveTicks(state) + _epochUnixTicks, extras);

    // The thread that won the end publishes the tombstone right after its swap, with nothing in between that
    // can block, so a reader that sees the ended bit waits only a moment.
    private static ExpiredSession WaitForTombstone(SessionEntry entry)
    {
        SpinWait spinner = default;
        ExpiredSession? tombstone;
        while ((tombstone = entry.Tombstone) is null)
        {
            spinner.SpinOnce();
        }

        return tombstone;
    }
}
