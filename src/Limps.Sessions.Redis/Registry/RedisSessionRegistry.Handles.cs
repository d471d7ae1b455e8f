using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>
/// What a handle store needs beyond the session operations, each one script: a use that checks the owner, touches and
/// returns the state, and a compare-and-set of the state (calls of the request queue's script); an end for the owner only;
/// the owner's index of live handles.
/// </summary>
public sealed partial class RedisSessionRegistry : IRedisUseReader, IRedisWriteReader
{
    /// <summary>
    /// Looks a handle up for one owner, records activity and reads its state, in one round trip. Another owner's live
    /// handle is left untouched. A tool uses its handle on every call, so the use waits in the store's request queue and
    /// goes with the other uses of its shard in one script (see <see cref="RedisRequestQueue"/>).
    /// </summary>
    internal ValueTask<StateRead> UseForOwnerAsync(SessionId id, string? owner, CancellationToken cancellationToken) =>
        _store.Requests.Use(this, id, owner, cancellationToken);

    /// <inheritdoc />
    StateRead IRedisUseReader.Read(RedisQueuedUse use, RedisResult answer)
    {
        var reply = (RedisResult[])answer!;
        if ((long)reply[0] != 1)
        {
            return Read(use.Id, use.Owner, reply);
        }

        // The short answer {1, created, last active, state, version}: the owner is the caller's, the script compared it;
        // handles have no metadata.
        var info = new SessionInfo(
            use.Id, RedisSessionStore.FromMicros((long)reply[1]), RedisSessionStore.FromMicros((long)reply[2]), use.Owner, null);
        return new StateRead(SessionLookup.Active(info), false, (byte[]?)reply[3], (long)reply[4]);
    }

    /// <summary>
    /// Writes a handle's new state if no other update came since <paramref name="expectedVersion"/> was read. A conflict
    /// answers with the current state and version, so the caller can retry without another read. The write waits in
    /// the store's request queue like a use and goes with the other calls of its shard in one script.
    /// </summary>
    internal ValueTask<StateWrite> WriteStateAsync(
        SessionId id, string? owner, long expectedVersion, byte[] state, CancellationToken cancellationToken) =>
        _store.Requests.Write(this, id, owner, expectedVersion, state, cancellationToken);

    /// <inheritdoc />
    StateWrite IRedisWriteReader.Read(RedisQueuedWrite write, RedisResult answer)
    {
        var reply = (RedisResult[])answer!;
        switch ((long)reply[0])
        {
            case 1:
                return new StateWrite(StateWriteOutcome.Written, default, (long)reply[1]);
            case 4:
                return new StateWrite(
                    StateWriteOutcome.Conflict,
                    new StateRead(SessionLookup.NotFound, false, (byte[]?)reply[1], (long)reply[2]),
                    0);
            default:
                return new StateWrite(StateWriteOutcome.NotLive, Read(write.Id, write.Owner, reply), 0);
        }
    }

    /// <summary>
    /// Ends a live handle for its owner only. Answers whether this call ended it; otherwise how it stands (another
    /// owner's reads as unknown and is left untouched; an overdue one ended for its own reason instead).
    /// </summary>
    internal async ValueTask<(bool Ended, StateRead Answer)> EndForOwnerAsync(
        SessionId id, string? owner, ExpiryReason reason, CancellationToken cancellationToken)
    {
        RedisValue[] args = _store.Arguments(id, 6);
        args[RedisSessionStore.Own(0)] = id.ToString();
        args[RedisSessionStore.Own(1)] = reason.Code;
        args[RedisSessionStore.Own(2)] = RedisSessionStore.DescriptionToStore(reason);
        args[RedisSessionStore.Own(3)] = "c";
        args[RedisSessionStore.Own(4)] = owner is null ? 0 : 1;
        args[RedisSessionStore.Own(5)] = owner ?? string.Empty;
        RedisResult[] reply;
        try
        {
            reply = (RedisResult[])(await _store.EvaluateAsync(
                RedisScripts.End, _store.Keys.Session(id), args, cancellationToken).ConfigureAwait(false))!;
        }
        catch (Exception ex) when (ex is SessionStoreUnavailableException or OperationCanceledException)
        {
            Defer(new PendingWrite(PendingWriteKind.ConfirmEnd, id, reason.Code));
            throw;
        }

        switch ((long)reply[0])
        {
            case 1:
                Ended(Tombstone(id, reply, 1));
                return (true, default);
            case 3:
                ExpiredSession overdue = Tombstone(id, reply, 1);
                Ended(overdue);
                return (false, new StateRead(SessionLookup.Expired(overdue), false, null, 0));
            case 4:
                return (false, new StateRead(SessionLookup.NotFound, true, null, 0));
            default:
                // Not live: the caller asks the ledger (through a look-up) how it ended.
                SessionLookup after = await VisitAsync(id, Access.Lookup, cancellationToken).ConfigureAwait(false);
                return (false, new StateRead(after, !after.IsOwnedBy(owner), null, 0));
        }
    }

    /// <summary>The handles in an owner's index (live ones, and ones whose keys expired without an end), oldest first.</summary>
    internal async ValueTask<SessionId[]> OwnedAsync(string owner, CancellationToken cancellationToken)
    {
        RedisValue[] members = await _store.RunAsync(
            db => db.SortedSetRangeByRankAsync(_store.Keys.Owned(owner)), cancellationToken).ConfigureAwait(false);
        var ids = new List<SessionId>(members.Length);
        foreach (RedisValue member in members)
        {
            if (SessionId.TryParse((string?)member, out SessionId id))
            {
                ids.Add(id);
            }
        }

        return [.. ids];
    }

    /// <summary>Drops handles that are no longer live from an owner's index (keys that expired without an end).</summary>
    internal async ValueTask ForgetOwnedAsync(string owner, IReadOnlyList<SessionId> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return;
        }

        RedisValue[] members = [.. ids.Select(id => (RedisValue)id.ToString())];
        await _store.RunAsync(db => db.SortedSetRemoveAsync(_store.Keys.Owned(owner), members), cancellationToken).ConfigureAwait(false);
    }

    private StateRead Read(SessionId id, string? owner, RedisResult[] reply)
    {
        if ((long)reply[0] == 3)
        {
            return new StateRead(SessionLookup.NotFound, true, null, 0);
        }

        SessionLookup lookup = Answer(id, reply);
        if (!lookup.IsOwnedBy(owner))
        {
            return new StateRead(SessionLookup.NotFound, true, null, 0);
        }

        return lookup.IsActive
            ? new StateRead(lookup, false, (byte[]?)reply[7], (long)reply[8])
            : new StateRead(lookup, false, null, 0);
    }
}
