namespace Limps.Sessions;

// Looking sessions up and touching them (the hot path: one dictionary hit and one compare-and-swap, no allocation),
// and the answers for ended ones.
public sealed partial class InMemorySessionRegistry
{
    /// <inheritdoc />
    public ValueTask<SessionLookup> LookupAsync(SessionId id, CancellationToken cancellationToken = default) =>
        Find(id, Access.Lookup, cancellationToken);

    /// <inheritdoc />
    public ValueTask<SessionLookup> TouchAsync(SessionId id, CancellationToken cancellationToken = default) =>
        Find(id, Access.Touch, cancellationToken);

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
}
