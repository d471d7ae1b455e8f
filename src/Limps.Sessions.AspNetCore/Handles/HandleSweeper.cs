using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Limps.Sessions.AspNetCore;

/// <summary>
/// Sweeps every registered handle kind's store on its own <see cref="HandleKindOptions.SweepInterval"/> (timer
/// cadence from the injected <see cref="TimeProvider"/>). The stores are resolved when the host starts, so a store
/// that cannot be built stops start-up instead of failing the first tool call. A failing sweep is logged and the next
/// one runs on schedule; nothing here stops the host.
/// </summary>
internal sealed class HandleSweeper(
    IEnumerable<HandleKindRegistration> kinds,
    IServiceProvider services,
    TimeProvider timeProvider,
    ILogger<HandleSweeper> logger) : BackgroundService
{
    private readonly ILogger _log = SessionTelemetry.NonThrowing(logger);
    private readonly List<(HandleKindView Kind, PeriodicTimer Timer)> _loops = [];

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (HandleKindRegistration kind in kinds)
        {
            HandleKindView view = kind.Resolve(services);
            _loops.Add((view, new PeriodicTimer(view.Options.SweepInterval, timeProvider)));
        }

        return base.StartAsync(cancellationToken);
    }

    public override void Dispose()
    {
        foreach ((_, PeriodicTimer timer) in _loops)
        {
            timer.Dispose();
        }

        base.Dispose();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_loops.Select(loop => SweepLoopAsync(loop.Kind, loop.Timer, stoppingToken)));

    private async Task SweepLoopAsync(HandleKindView kind, PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    int ended = await kind.SweepAsync(stoppingToken).ConfigureAwait(false);
                    HandleHostLog.HandlesSwept(_log, kind.Options.Name, ended);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // Any failure, a stray cancellation included, is the store's: log it and keep the cadence.
                    HandleHostLog.HandleSweepFailed(_log, kind.Options.Name, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }
}
