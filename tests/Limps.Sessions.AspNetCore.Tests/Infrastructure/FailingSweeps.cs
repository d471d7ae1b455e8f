namespace Limps.Sessions.AspNetCore.Tests.Infrastructure;

/// <summary>Wraps a registry so that its first sweeps throw, to prove the sweeper survives them.</summary>
public sealed class FailingSweeps(int failures, Func<Exception>? fault = null)
{
    private readonly int _failures = failures;
    private readonly Func<Exception> _fault = fault ?? (() => new InvalidOperationException("Simulated store failure during a sweep."));
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public ISessionRegistry Wrap(ISessionRegistry inner) => new Registry(this, inner);

    private sealed class Registry(FailingSweeps owner, ISessionRegistry inner) : ISessionRegistry
    {
        public ValueTask<SessionInfo> CreateAsync(SessionId? id = null, string? ownerKey = null, IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default) =>
            inner.CreateAsync(id, ownerKey, metadata, cancellationToken);

        public ValueTask<SessionLookup> LookupAsync(SessionId id, CancellationToken cancellationToken = default) => inner.LookupAsync(id, cancellationToken);

        public ValueTask<SessionLookup> TouchAsync(SessionId id, CancellationToken cancellationToken = default) => inner.TouchAsync(id, cancellationToken);

        public ValueTask<SessionLease> BeginLeaseAsync(SessionId id, CancellationToken cancellationToken = default) => inner.BeginLeaseAsync(id, cancellationToken);

        public ValueTask<bool> EndAsync(SessionId id, ExpiryReason reason, CancellationToken cancellationToken = default) => inner.EndAsync(id, reason, cancellationToken);

        public ValueTask<int> SweepAsync(CancellationToken cancellationToken = default) =>
            Interlocked.Increment(ref owner._calls) <= owner._failures
                ? throw owner._fault()
                : inner.SweepAsync(cancellationToken);

        public ValueTask<int> EndAllAsync(ExpiryReason reason, CancellationToken cancellationToken = default) => inner.EndAllAsync(reason, cancellationToken);

        public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) => inner.CountAsync(cancellationToken);
    }
}
