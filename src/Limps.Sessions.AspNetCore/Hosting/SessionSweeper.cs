using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Limps.Sessions.AspNetCore;

/// <summary>
/// Sweeps the registry every <see cref="LimpsSessionsOptions.EffectiveSweepInterval"/> (timer cadence from the
/// injected <see cref="TimeProvider"/>) and, on graceful shutdown, ends the live sessions with reason
/// <c>closed</c> (unless <see cref="LimpsSessionsOptions.CloseSessionsOnShutdown"/> is off). A failing sweep is logged and the next one runs on schedule.
/// </summary>
internal sealed class SessionSweeper(
    ISessionRegistry registry,
    IOptions<LimpsSessionsOptions> options,
    TimeProvider timeProvider,
    ILogger<SessionSweeper> logger) : BackgroundService
{
    // A failing log provider must not turn an answer into a 500 or stop the host.
    private readonly ILogger _log = SessionTelemetry.NonThrowing(logger);

    private PeriodicTimer? _timer;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Created here rather than in ExecuteAsync (which runs on the thread pool) so the cadence starts with the host.
        _timer = new PeriodicTimer(options.Value.EffectiveSweepInterval, timeProvider);
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (options.Value.CloseSessionsOnShutdown)
        {
            int closed = await registry.EndAllAsync(ExpiryReason.Closed, cancellationToken).ConfigureAwait(false);
            HttpLog.SessionsClosedOnShutdown(_log, closed);
        }
    }

    public override void Dispose()
    {
        _timer?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        PeriodicTimer timer = _timer ?? throw new InvalidOperationException("The sweeper was not started.");
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await registry.SweepAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return; // Shutting down.
                }
#pragma warning disable CA1031 // Whatever a store or an observer throws (a cancellation not caused by the host
                           // stopping included), the host keeps running and the next sweep runs on schedule.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    HttpLog.SweepFailed(_log, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }
}
