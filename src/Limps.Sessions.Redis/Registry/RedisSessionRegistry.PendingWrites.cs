using System.Collections.Concurrent;
using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>Writes deferred because Redis did not answer in time, retried by the heartbeat.</summary>
public sealed partial class RedisSessionRegistry
{
    // Bounded: during a long outage the oldest are dropped, which is safe (a lease lapses by itself, an unused session
    // idles out), only slower to clean up.
    private const int MaxPendingWrites = 10_000;

    private readonly ConcurrentQueue<PendingWrite> _pending = new();

    /// <summary>Gets how many deferred writes wait for Redis.</summary>
    internal int PendingWrites => _pending.Count;

    private void Defer(PendingWrite write)
    {
        _pending.Enqueue(write);
        while (_pending.Count > MaxPendingWrites && _pending.TryDequeue(out PendingWrite dropped))
        {
            RedisLog.PendingWriteDropped(_logger, dropped.Id.Masked, dropped.Kind.ToString());
        }

        EnsureHeartbeat();
    }

    // Each write is tried once per beat, in order; the first that fails goes back, and the rest wait for the next beat.
    private async Task RetryPendingAsync()
    {
        int pending = _pending.Count;
        for (int i = 0; i < pending && _pending.TryDequeue(out PendingWrite write); i++)
        {
            try
            {
                await ApplyAsync(write).ConfigureAwait(false);
            }
            catch (SessionStoreUnavailableException)
            {
                _pending.Enqueue(write);
                throw;
            }
        }
    }

    private async Task ApplyAsync(PendingWrite write)
    {
        switch (write.Kind)
        {
            case PendingWriteKind.Release:
                await ReleaseInStoreAsync(write.Id, write.Token).ConfigureAwait(false);
                break;
            case PendingWriteKind.Abandon:
                RedisValue[] args = _store.Arguments(write.Id, 2);
                args[RedisSessionStore.Own(0)] = write.Id.ToString();
                args[RedisSessionStore.Own(1)] = write.Token;
                await _store.EvaluateAsync(RedisScripts.Abandon, _store.Keys.Session(write.Id), args, CancellationToken.None)
                    .ConfigureAwait(false);
                break;
            case PendingWriteKind.ConfirmEnd:
                // Live: the end never ran (the caller may try again). Ended with this reason: it ran, so report it.
                SessionLookup lookup = await VisitAsync(write.Id, Access.Lookup, CancellationToken.None).ConfigureAwait(false);
                if (lookup.TryGetExpiry(out ExpiredSession? ended) && ended.Reason.Code == write.Token)
                {
                    Ended(ended);
                }

                break;
        }
    }
}
