namespace Limps.Sessions.AspNetCore.Tests.Infrastructure;

/// <summary>Wraps a registry so that it can be switched to fail every call as an unreachable store would.</summary>
public sealed class UnavailableStore
{
    private volatile bool _down;
    private volatile bool _createsDown;

    public void GoDown() => _down = true;

    /// <summary>Fails only the registration of new sessions (the capacity check before the MCP server runs still answers).</summary>
    public void FailRegistrations() => _createsDown = true;

    public void ComeBack() => _down = _createsDown = false;

    public ISessionRegistry Wrap(ISessionRegistry inner) => new Registry(this, inner);

    private void ThrowIfDown()
    {
        if (_down)
        {
            throw new SessionStoreUnavailableException("Simulated: the store does not answer.");
        }
    }

    private sealed class Registry(UnavailableStore store, ISessionRegistry inner) : ISessionRegistry
    {
        public ValueTask<SessionInfo> CreateAsync(SessionId? id = null, string? owner = null, IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
        {
            store.ThrowIfDown();
            if (store._createsDown)
            {
                throw new SessionStoreUnavailableException("Simulated: the store does not answer.");
            }

            return inner.CreateAsync(id, owner, metadata, cancellationToken);
        }

        public ValueTask<SessionLookup> LookupAsync(SessionId id, CancellationToken cancellationToken = default)
        {
            store.ThrowIfDown();
            return inner.LookupAsync(id, cancellationToken);
        }

        public ValueTask<SessionLookup> TouchAsync(SessionId id, CancellationToken cancellationToken = default)
        {
            store.ThrowIfDown();
            return inner.TouchAsync(id, cancellationToken);
        }

        public ValueTask<SessionLease> BeginLeaseAsync(SessionId id, CancellationToken cancellationToken = default)
        {
            store.ThrowIfDown();
            return inner.BeginLeaseAsync(id, cancellationToken);
        }

        public ValueTask<bool> EndAsync(SessionId id, ExpiryReason reason, CancellationToken cancellationToken = default)
        {
            store.ThrowIfDown();
            return inner.EndAsync(id, reason, cancellationToken);
        }

        public ValueTask<int> SweepAsync(CancellationToken cancellationToken = default)
        {
            store.ThrowIfDown();
            return inner.SweepAsync(cancellationToken);
        }

        public ValueTask<int> EndAllAsync(ExpiryReason reason, CancellationToken cancellationToken = default) =>
            inner.EndAllAsync(reason, cancellationToken);

        public ValueTask<int> CountAsync(CancellationToken cancellationToken = default)
        {
            store.ThrowIfDown();
            return inner.CountAsync(cancellationToken);
        }
    }
}
