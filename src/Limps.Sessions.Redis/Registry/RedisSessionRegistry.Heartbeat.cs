namespace Limps.Sessions.Redis;

/// <summary>The heartbeat: renews this replica's leases and retries deferred writes, on a real-time timer.</summary>
public sealed partial class RedisSessionRegistry
{
    private readonly Lock _timerLock = new();
    private ITimer? _heartbeat;
    private int _beating;
    private bool _disposed;

    /// <summary>Renews this replica's leases and retries deferred writes (also called by the timer).</summary>
    internal async Task BeatAsync()
    {
        if (Interlocked.Exchange(ref _beating, 1) != 0)
        {
            return;
        }

        try
        {
            await RenewHeldAsync().ConfigureAwait(false);
            await RetryPendingAsync().ConfigureAwait(false);
        }
        catch (SessionStoreUnavailableException ex)
        {
            RedisLog.HeartbeatFailed(_logger, ex);
        }
#pragma warning disable CA1031 // Runs on a timer: nothing may escape it, whatever the store answered.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            RedisLog.HeartbeatFailed(_logger, ex);
        }
        finally
        {
            Volatile.Write(ref _beating, 0);
        }
    }

    private void EnsureHeartbeat()
    {
        if (Volatile.Read(ref _heartbeat) is not null)
        {
            return;
        }

        lock (_timerLock)
        {
            if (_heartbeat is null && !_disposed)
            {
                // Real time on purpose: leases expire in Redis's real time, three renewals per lease lifetime.
                TimeSpan period = TimeSpan.FromMilliseconds(Math.Max(1, _store.LeaseMillis / 3));
                _heartbeat = TimeProvider.System.CreateTimer(
                    static state => _ = ((RedisSessionRegistry)state!).BeatAsync(), this, period, period);
            }
        }
    }

    private void StopHeartbeat()
    {
        lock (_timerLock)
        {
            _disposed = true;
            _heartbeat?.Dispose();
            _heartbeat = null;
        }
    }
}
