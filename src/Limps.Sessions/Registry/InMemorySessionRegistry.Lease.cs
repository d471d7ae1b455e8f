namespace Limps.Sessions;

// Request leases: a leased session cannot idle out; the idle clock restarts when the last lease ends.
public sealed partial class InMemorySessionRegistry
{
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
