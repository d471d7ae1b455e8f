namespace Limps.Sessions.Mcp.Tests;

/// <summary>
/// A registry as another store would be (for example one on a database that several processes share): it keeps
/// sessions, owners and metadata like any registry, and is not the in-memory one. Here it delegates to an in-memory
/// registry that the test's hosts share.
/// </summary>
public sealed class SharedRegistry(ISessionRegistry inner) : ISessionRegistry
{
    public ValueTask<SessionInfo> CreateAsync(SessionId? id = null, string? owner = null, IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default) =>
        inner.CreateAsync(id, owner, metadata, cancellationToken);

    public ValueTask<SessionLookup> LookupAsync(SessionId id, CancellationToken cancellationToken = default) => inner.LookupAsync(id, cancellationToken);

    public ValueTask<SessionLookup> TouchAsync(SessionId id, CancellationToken cancellationToken = default) => inner.TouchAsync(id, cancellationToken);

    public ValueTask<SessionLease> BeginLeaseAsync(SessionId id, CancellationToken cancellationToken = default) => inner.BeginLeaseAsync(id, cancellationToken);

    public ValueTask<bool> EndAsync(SessionId id, ExpiryReason reason, CancellationToken cancellationToken = default) => inner.EndAsync(id, reason, cancellationToken);

    public ValueTask<int> EndAllAsync(ExpiryReason reason, CancellationToken cancellationToken = default) => inner.EndAllAsync(reason, cancellationToken);

    public ValueTask<int> SweepAsync(CancellationToken cancellationToken = default) => inner.SweepAsync(cancellationToken);

    public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) => inner.CountAsync(cancellationToken);
}
