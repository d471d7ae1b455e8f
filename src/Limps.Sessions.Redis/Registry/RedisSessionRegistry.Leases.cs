using System.Collections.Concurrent;
using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>Request leases: one token each, chosen here, renewed while held, released by token.</summary>
public sealed partial class RedisSessionRegistry
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
        string token = RedisSessionStore.NewToken();
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
    /// exactly as it is) and opens the lease. Its release is sent without the caller waiting for it (see
    /// <see cref="BeginLeaseAsync"/> for answers that come too late).
    /// </remarks>
    /// <exception cref="SessionStoreUnavailableException">Redis cannot be reached or does not answer in time.</exception>
    public async ValueTask<SessionLease> BeginLeaseForOwnerAsync(
        SessionId id, string? owner, CancellationToken cancellationToken = default)
    {
        if (id.IsEmpty)
        {
            return SessionLease.NotHeld(SessionLookup.NotFound);
        }

        string token = RedisSessionStore.NewToken();
        RedisResult[] reply;
        try
        {
            reply = await EvaluateAccessAsync(id, Access.Lease, token, checkOwner: true, owner, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SessionStoreUnavailableException or OperationCanceledException)
        {
            Defer(new PendingWrite(PendingWriteKind.Release, id, token));
            throw;
        }

        if ((long)reply[0] == 3)
        {
            return SessionLease.OwnerMismatch;
        }

        SessionLookup lookup = Answer(id, reply);
        if (!lookup.IsOwnedBy(owner))
        {
            // An ended session of another owner: its tombstone tells only its owner.
            return SessionLease.OwnerMismatch;
        }

        return lookup.IsActive ? Held(id, token, lookup) : SessionLease.NotHeld(lookup);
    }

    /// <summary>The tokens of the leases this replica holds on a session (tests look at them in Redis).</summary>
    internal IReadOnlyList<string> HeldTokens(SessionId id) =>
        _held.Where(pair => pair.Value == id).Select(pair => pair.Key).ToArray();

    /// <summary>
    /// Releases one lease without making the caller wait for Redis: the release is sent at once (so it reaches Redis
    /// before any later command of this replica) and its answer is awaited in the background. A release Redis did not
    /// take is retried with the next heartbeat; one that never gets through lapses after the holder timeout.
    /// </summary>
    internal ValueTask ReleaseLeaseAsync(SessionId id, string token)
    {
        // Stop renewing first: whatever happens next, the lease lapses at the latest one holder timeout from now.
        _held.TryRemove(token, out _);
        Task release = ReleaseInStoreAsync(id, token);
        if (!release.IsCompletedSuccessfully)
        {
            _ = ObserveReleaseAsync(release, id, token);
        }

        return ValueTask.CompletedTask;
    }

    private async Task ObserveReleaseAsync(Task release, SessionId id, string token)
    {
        try
        {
            await release.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Nobody waits for this task: whatever went wrong, the release is retried, never thrown.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            RedisLog.LeaseReleaseDeferred(_logger, id.Masked, ex);
            Defer(new PendingWrite(PendingWriteKind.Release, id, token));
        }
    }

    private RedisSessionLease Held(SessionId id, string token, SessionLookup lookup)
    {
        _held[token] = id;
        EnsureHeartbeat();
        return new RedisSessionLease(this, id, token, lookup);
    }

    private async Task ReleaseInStoreAsync(SessionId id, string token)
    {
        RedisValue[] args = _store.Arguments(id, 2);
        args[RedisSessionStore.Own(0)] = id.ToString();
        args[RedisSessionStore.Own(1)] = token;
        await _store.EvaluateAsync(RedisScripts.Release, _store.Keys.Session(id), args, CancellationToken.None).ConfigureAwait(false);
    }

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
