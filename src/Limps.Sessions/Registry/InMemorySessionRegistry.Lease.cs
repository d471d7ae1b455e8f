namespace Limps.Sessions;

// Request leases: a leased session cannot idle out; the idle clock restarts when the last lease ends.
public sealed partial class InMemorySessionRegistry
{
    /// <inheritdoc />
    public ValueTask<SessionLease> BeginLeaseAsync(SessionId id, CancellationToken cancellationToken = default)
    {
        if (id.IsEmpty || _sessions.Find(id.ToString()) is not { } entry)
        {
            // Not live when looked at: the answer is the ledger's, even if a create of this id lands meanwhile.
            ValueTask<SessionLookup> unknown = id.IsEmpty
                ? new ValueTask<SessionLookup>(SessionLookup.NotFound)
                : FindInLedger(id, cancellationToken);
            return unknown.IsCompletedSuccessfully
                ? new ValueTask<SessionLease>(SessionLease.NotHeld(unknown.Result))
                : AwaitNotHeld(unknown);
        }

        return LeaseLive(entry);

        static async ValueTask<SessionLease> AwaitNotHeld(ValueTask<SessionLookup> pending) =>
            SessionLease.NotHeld(await pending.ConfigureAwait(false));
    }

    // The lease on a live entry (ending it first when it is due: then the answer is the tombstone).
    private ValueTask<SessionLease> LeaseLive(SessionEntry entry)
    {
        SessionLookup lookup = Visit(entry, Access.Lease, out ValueTask pending);
        SessionLease lease = lookup.IsActive ? new Lease(this, entry, lookup) : SessionLease.NotHeld(lookup);
        return pending.IsCompletedSuccessfully ? new ValueTask<SessionLease>(lease) : AwaitLease(pending, lease);

        static async ValueTask<SessionLease> AwaitLease(ValueTask pending, SessionLease lease)
        {
            await pending.ConfigureAwait(false);
            return lease;
        }
    }

    /// <inheritdoc />
    /// <remarks>One table probe: the owner is compared before the entry is touched.</remarks>
    public ValueTask<SessionLease> BeginLeaseForOwnerAsync(
        SessionId id, string? owner, CancellationToken cancellationToken = default)
    {
        if (id.IsEmpty || _sessions.Find(id.ToString()) is not { } entry)
        {
            ValueTask<SessionLookup> unknown = id.IsEmpty
                ? new ValueTask<SessionLookup>(SessionLookup.NotFound)
                : FindInLedger(id, cancellationToken);
            return unknown.IsCompletedSuccessfully
                ? new ValueTask<SessionLease>(Unheld(unknown.Result, owner))
                : AwaitUnheld(unknown, owner);
        }

        if (!string.Equals(entry.Owner, owner, StringComparison.Ordinal))
        {
            return new ValueTask<SessionLease>(SessionLease.OwnerMismatch);
        }

        return LeaseLive(entry);

        static async ValueTask<SessionLease> AwaitUnheld(ValueTask<SessionLookup> pending, string? owner) =>
            Unheld(await pending.ConfigureAwait(false), owner);

        static SessionLease Unheld(SessionLookup lookup, string? owner) =>
            lookup.IsOwnedBy(owner) ? SessionLease.NotHeld(lookup) : SessionLease.OwnerMismatch;
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
