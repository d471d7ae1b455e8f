namespace Limps.Sessions.Redis.Tests.Infrastructure;

// TestTime, RecordingObserver and RevokedReason come from Limps.Sessions.Testing, with the registry and ledger
// contract suites that run here against Redis.

/// <summary>Waits, bounded, for background work to show its effect. Never used to make time pass.</summary>
public static class Eventually
{
    public static async Task<bool> TrueAsync(Func<Task<bool>> condition, TimeSpan? within = null)
    {
        using var deadline = new CancellationTokenSource(within ?? TimeSpan.FromSeconds(10));
        while (!await condition())
        {
            if (deadline.IsCancellationRequested)
            {
                return false;
            }

            await Task.Delay(10, CancellationToken.None);
        }

        return true;
    }
}
