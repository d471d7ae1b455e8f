namespace Limps.Sessions.AspNetCore.Tests.Infrastructure;

/// <summary>
/// Waits, bounded, for background work (the hosted sweeper, the MCP session releaser) to show its effect. No clock is
/// advanced here: tests move time only through the fake clock and the fake time provider.
/// </summary>
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

            await Task.Delay(5, CancellationToken.None);
        }

        return true;
    }
}
