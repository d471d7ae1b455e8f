using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>
/// The sweep: ends every due session of every shard, in batches of one script each (the shards one after another, so
/// a sweep asks no more of Redis at once than before), then prunes every shard's ledger. A shard that cannot be reached
/// (its cluster master is down) does not keep the others from being swept; the sweep then reports it unavailable.
/// </summary>
public sealed partial class RedisSessionRegistry
{
    private const int SweepReplyStride = 7;

    /// <inheritdoc />
    /// <exception cref="SessionStoreUnavailableException">Redis cannot be reached or does not answer in time.</exception>
    public async ValueTask<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        int ended = 0;
        SessionStoreUnavailableException? unavailable = null;
        for (int shard = 0; shard < _store.Keys.ShardCount; shard++)
        {
            try
            {
                ended += await SweepShardAsync(shard, cancellationToken).ConfigureAwait(false);
            }
            catch (SessionStoreUnavailableException ex) when (_store.Keys.ShardCount > 1)
            {
                unavailable ??= ex;
            }
        }

        if (unavailable is not null)
        {
            // The ends above were reported to the observers as they happened; the sweeper logs this and tries again.
            throw unavailable;
        }

        int pruned = await _store.PruneAsync(cancellationToken).ConfigureAwait(false);
        _telemetry.SweepCompleted(ended, pruned);
        return ended;
    }

    private async ValueTask<int> SweepShardAsync(int shard, CancellationToken cancellationToken)
    {
        int ended = 0;
        int batchSize = _store.RedisOptions.SweepBatchSize;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            RedisValue[] args = _store.Arguments(shard, 1);
            args[RedisSessionStore.Own(0)] = batchSize;
            var reply = (RedisResult[])(await _store.EvaluateAsync(
                RedisScripts.Sweep, _store.Keys.Deadlines(shard), args, cancellationToken).ConfigureAwait(false))!;

            // Per session ended: id, reason, expired at, last active, recorded, owner, has owner.
            for (int i = 1; i + SweepReplyStride - 1 < reply.Length; i += SweepReplyStride)
            {
                if (!SessionId.TryParse((string?)reply[i], out SessionId id))
                {
                    continue;
                }

                ended++;
                Ended(new ExpiredSession(
                    id,
                    _store.Reason((string)reply[i + 1]!, null),
                    RedisSessionStore.FromMicros((long)reply[i + 2]),
                    RedisSessionStore.FromMicros((long)reply[i + 3]),
                    (long)reply[i + 6] == 1 ? (string?)reply[i + 5] : null));
            }

            if ((long)reply[0] < batchSize)
            {
                return ended;
            }
        }
    }
}
