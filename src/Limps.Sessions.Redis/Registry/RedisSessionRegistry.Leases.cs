using System.Collections.Concurrent;
using System.Text.Json;
using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>Request leases: one token each, chosen here, renewed while held, released by token.</summary>
public sealed partial class RedisSessionRegistry : IRedisLeaseReader
{
    // The leases this replica holds, by token: what the heartbeat renews.
    private readonly ConcurrentDictionary<string, SessionId> _held = new(StringComparer.Ordinal);

    /// <summary>Gets how many leases this replica holds open.</summary>
    internal int LocalLeases => _held.Count;

    /// <inheritdoc />
    /// <remarks>
    /// When this throws <see cref="SessionStoreUnavailableException"/> because the answer came too late, Redis may
    /// still have opened the lease; it is released in the background by its token, and lapses by itself after
    /// <see cref="RedisSessionStoreOptions.LeaseHolderTimeout"/> if even that cannot reach Redis.
    /// </remarks>
    /// <exception cref="SessionStoreUnavailableException">Redis cannot be reached or does not answer in time.</exception>
    public async ValueTask<SessionLease> BeginLeaseAsync(SessionId id, CancellationToken cancellationToken = default)
    {
        string token = _store.NextLeaseToken();
        SessionLookup lookup;
        try
        {
            lookup = await VisitAsync(id, Access.Lease, cancellationToken, token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SessionStoreUnavailableException or OperationCanceledException)
        {
            Defer(new PendingWrite(PendingWriteKind.Release, id, token));
            throw;
        }

        if (!lookup.IsActive)
        {
            return SessionLease.NotHeld(lookup);
        }

        return Held(id, token, lookup);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One round trip: a single script looks the session up, compares its owner (another owner's live session is left
    /// exactly as it is) and opens the lease. Every HTTP request comes this way, so the lease waits in the store's
    /// request queue and goes with the other requests' leases and releases of its shard in one script (see
    /// <see cref="RedisRequestQueue"/>). Its release is not waited for (see <see cref="BeginLeaseAsync"/> for answers
    /// that come too late).
    /// </remarks>
    /// <exception cref="SessionStoreUnavailableException">Redis cannot be reached or does not answer in time.</exception>
    public ValueTask<SessionLease> BeginLeaseForOwnerAsync(
        SessionId id, string? owner, CancellationToken cancellationToken = default)
    {
        if (id.IsEmpty)
        {
            return ValueTask.FromResult(SessionLease.NotHeld(SessionLookup.NotFound));
        }

        return _store.Requests.Lease(this, id, _store.NextLeaseToken(), owner, cancellationToken);
    }

    /// <inheritdoc />
    SessionLease IRedisLeaseReader.Read(RedisQueuedLease lease, RedisResult answer)
    {
        var reply = (RedisResult[])answer!;
        switch ((long)reply[0])
        {
            case 1:
                // The short answer {1, created, last active, metadata}: the owner is the caller's, the script compared it.
                IReadOnlyDictionary<string, string>? metadata;
                try
                {
                    metadata = RedisMetadata.From(reply[3]);
                }
                catch (JsonException)
                {
                    // Stored metadata this library did not write: the caller sees the error, the lease is given back.
                    Defer(new PendingWrite(PendingWriteKind.Release, lease.Id, lease.Token));
                    throw;
                }

                var info = new SessionInfo(
                    lease.Id,
                    RedisSessionStore.FromMicros((long)reply[1]),
                    RedisSessionStore.FromMicros((long)reply[2]),
                    lease.Owner,
                    metadata);
                return Held(lease.Id, lease.Token, SessionLookup.Active(info));
            case 3:
                return SessionLease.OwnerMismatch;
        }

        SessionLookup lookup = Answer(lease.Id, reply);

        // An ended session of another owner: its tombstone tells only its owner.
        return lookup.IsOwnedBy(lease.Owner) ? SessionLease.NotHeld(lookup) : SessionLease.OwnerMismatch;
    }

    /// <inheritdoc />
    Exception IRedisLeaseReader.Failed(RedisQueuedLease lease, Exception failure)
    {
        // Redis may have opened the lease all the same: release it by its token in the background.
        Defer(new PendingWrite(PendingWriteKind.Release, lease.Id, lease.Token));
        return RedisSessionStore.IsFailure(failure) ? RedisSessionStore.Unavailable(failure) : failure;
    }

    /// <summary>The tokens of the leases this replica holds on a session (tests look at them in Redis).</summary>
    internal IReadOnlyList<string> HeldTokens(SessionId id) =>
        _held.Where(pair => pair.Value == id).Select(pair => pair.Key).ToArray();

    /// <summary>
    /// Releases one lease without making the caller wait for Redis: the release waits in the store's request queue and
    /// goes with the next script of its shard, before any later command of this replica (see
    /// <see cref="RedisRequestQueue"/>); it carries the instant it was given back, so the idle clock starts there. A
    /// release Redis did not take is retried with the next heartbeat; one that never gets through lapses after the
    /// holder timeout.
    /// </summary>
    internal ValueTask ReleaseLeaseAsync(RedisSessionLease lease)
    {
        // Stop renewing first: whatever happens next, the lease lapses at the latest one holder timeout from now.
        _held.TryRemove(lease.Token, out _);
        _store.Requests.Release(lease.Id, lease.Token, RedisSessionStore.ToMicrosUp(_store.Now()));
        return ValueTask.CompletedTask;
    }

    private void ReleaseFailed(SessionId id, string token, Exception ex)
    {
        RedisLog.LeaseReleaseDeferred(_logger, id.Masked, RedisSessionStore.IsFailure(ex) ? RedisSessionStore.Unavailable(ex) : ex);
        Defer(new PendingWrite(PendingWriteKind.Release, id, token));
    }

    private RedisSessionLease Held(SessionId id, string token, SessionLookup lookup)
    {
        _held[token] = id;
        EnsureHeartbeat();
        return new RedisSessionLease(this, id, token, lookup);
    }

    private RedisValue[] ReleaseArguments(SessionId id, string token)
    {
        RedisValue[] args = _store.Arguments(id, 2);
        args[RedisSessionStore.Own(0)] = id.ToString();
        args[RedisSessionStore.Own(1)] = token;
        return args;
    }

    private async Task ReleaseInStoreAsync(SessionId id, string token) =>
        await _store.EvaluateAsync(RedisScripts.Release, _store.Keys.Session(id), ReleaseArguments(id, token), CancellationToken.None)
            .ConfigureAwait(false);

    // One script per session (its keys share one hash slot), all sent at once: the connection pipelines them.
    private async Task RenewHeldAsync()
    {
        if (_held.IsEmpty)
        {
            return;
        }

        var bySession = new Dictionary<SessionId, List<string>>();
        foreach (KeyValuePair<string, SessionId> pair in _held)
        {
            if (!bySession.TryGetValue(pair.Value, out List<string>? tokens))
            {
                bySession[pair.Value] = tokens = [];
            }

            tokens.Add(pair.Key);
        }

        var renewals = new List<Task<RedisResult>>(bySession.Count);
        foreach ((SessionId id, List<string> tokens) in bySession)
        {
            RedisValue[] args = _store.Arguments(id, 1 + tokens.Count);
            args[RedisSessionStore.Own(0)] = id.ToString();
            for (int i = 0; i < tokens.Count; i++)
            {
                args[RedisSessionStore.Own(1 + i)] = tokens[i];
            }

            renewals.Add(_store.EvaluateAsync(RedisScripts.Renew, _store.Keys.Session(id), args, CancellationToken.None));
        }

        await Task.WhenAll(renewals).ConfigureAwait(false);
    }
}
