using System.Collections.Concurrent;

namespace Limps.Sessions.AspNetCore.Tests.Infrastructure;

/// <summary>
/// Wraps a registry, records which of its calls the HTTP check makes, and can report a stale count (as a store
/// whose count lags behind, so a create can lose the race for the last slot after the MCP server answered).
/// </summary>
public sealed class RecordingRegistry(ISessionRegistry inner) : ISessionRegistry
{
    public ConcurrentQueue<string> Calls { get; } = new();

    public bool StaleCount { get; set; }

    public ValueTask<SessionInfo> CreateAsync(SessionId? id = null, string? ownerKey = null, IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default) =>
        Record(nameof(CreateAsync), inner.CreateAsync(id, ownerKey, metadata, cancellationToken));

    public ValueTask<SessionLookup> LookupAsync(SessionId id, CancellationToken cancellationToken = default) =>
        Record(nameof(LookupAsync), inner.LookupAsync(id, cancellationToken));

    public ValueTask<SessionLookup> TouchAsync(SessionId id, CancellationToken cancellationToken = default) =>
        Record(nameof(TouchAsync), inner.TouchAsync(id, cancellationToken));

    public ValueTask<SessionLease> BeginLeaseAsync(SessionId id, CancellationToken cancellationToken = default) =>
        Record(nameof(BeginLeaseAsync), inner.BeginLeaseAsync(id, cancellationToken));

    public ValueTask<SessionLease> BeginLeaseForOwnerAsync(SessionId id, string? owner, CancellationToken cancellationToken = default) =>
        Record(nameof(BeginLeaseForOwnerAsync), inner.BeginLeaseForOwnerAsync(id, owner, cancellationToken));

    public ValueTask<bool> EndAsync(SessionId id, ExpiryReason reason, CancellationToken cancellationToken = default) =>
        Record(nameof(EndAsync), inner.EndAsync(id, reason, cancellationToken));

    public ValueTask<int> SweepAsync(CancellationToken cancellationToken = default) =>
        Record(nameof(SweepAsync), inner.SweepAsync(cancellationToken));

    public ValueTask<int> EndAllAsync(ExpiryReason reason, CancellationToken cancellationToken = default) =>
        Record(nameof(EndAllAsync), inner.EndAllAsync(reason, cancellationToken));

    public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) =>
        StaleCount ? Record(nameof(CountAsync), ValueTask.FromResult(0)) : Record(nameof(CountAsync), inner.CountAsync(cancellationToken));

    private ValueTask<T> Record<T>(string call, ValueTask<T> result)
    {
        Calls.Enqueue(call);
        return result;
    }
}
