using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>The sweep: ends every due session, in batches of one script each, then prunes the ledger.</summary>
public sealed partial class RedisSessionRegistry
{
    private const int SweepReplyStride = 7;

    /// <inheritdoc />
    /// <exception cref="SessionStoreUnavailableException">Redis cannot be reached or does not answer in time.</exception>
    public async ValueTask<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        int ended = 0;
        int batchSize = _store.RedisOptions.SweepBatchSize;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            RedisValue[] args = _store.Arguments(1);
            args[RedisSessionStore.Own(0)] = batchSize;
            var reply = (RedisResult[])(await _store.EvaluateAsync(
                RedisScripts.Sweep, _store.Keys.Deadlines, args, cancellationToken).ConfigureAwait(false))!;

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
                break;
            }
        }

        RedisValue[] pruneArgs = _store.Arguments(0);
        int pruned = (int)(long)(await _store.EvaluateAsync(
            RedisScripts.Prune, _store.Keys.Ledger, pruneArgs, cancellationToken).ConfigureAwait(false));
        _telemetry.SweepCompleted(ended, pruned);
        return ended;
    }
}
