using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace Limps.Sessions.AspNetCore.Tests.Infrastructure;

/// <summary>
/// Counts the MCP POST and DELETE requests the server is still running, seen from an outermost middleware (so a
/// request counts until the whole pipeline, Limps's lease release included, has returned). A client can finish
/// reading an SSE answer before the server's pipeline returns; tests that move the fake clock wait here first, so
/// that a request's lease release does not land after the clock moved and count as fresh activity.
/// </summary>
public sealed class ServerRequests
{
    private readonly Lock _lock = new();
    private readonly List<TaskCompletionSource> _idleWaiters = [];
    private int _inFlight;

    /// <summary>Adds the counting middleware to a host (pass as <c>TestHost.StartAsync(configure: ...)</c>).</summary>
    public void Install(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<IStartupFilter>(new CountingFilter(this));
    }

    /// <summary>Completes once no MCP POST/DELETE is running on the server (GET streams are not counted).</summary>
    public Task WaitUntilIdleAsync(TimeSpan? within = null)
    {
        Task idle;
        lock (_lock)
        {
            if (_inFlight == 0)
            {
                return Task.CompletedTask;
            }

            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _idleWaiters.Add(waiter);
            idle = waiter.Task;
        }

        return idle.WaitAsync(within ?? TimeSpan.FromSeconds(10));
    }

    private void Enter()
    {
        lock (_lock)
        {
            _inFlight++;
        }
    }

    private void Exit()
    {
        TaskCompletionSource[] released = [];
        lock (_lock)
        {
            if (--_inFlight == 0)
            {
                released = [.. _idleWaiters];
                _idleWaiters.Clear();
            }
        }

        foreach (TaskCompletionSource waiter in released)
        {
            waiter.TrySetResult();
        }
    }

    private sealed class CountingFilter(ServerRequests requests) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (HttpContext context, RequestDelegate inner) =>
            {
                if (!context.Request.Path.StartsWithSegments("/mcp", StringComparison.Ordinal) || HttpMethods.IsGet(context.Request.Method))
                {
                    await inner(context);
                    return;
                }

                requests.Enter();
                try
                {
                    await inner(context);
                }
                finally
                {
                    requests.Exit();
                }
            });
            next(app);
        };
    }
}

/// <summary>Drives the host's hosted sweeper deterministically.</summary>
public static class HostedSweeper
{
    private const string SweepCompleted = "SweepCompleted";

    /// <summary>
    /// Lets the registry's "SweepCompleted" debug log through: the sample host's appsettings.json filters
    /// <c>Limps.Sessions</c> at Information, which overrides TestHost's <c>SetMinimumLevel(Debug)</c>.
    /// </summary>
    public static void EnableSweepLogs(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Logging.AddFilter("Limps.Sessions", LogLevel.Debug);
    }

    /// <summary>
    /// Advances the fake timer source by one sweep interval, so the hosted sweeper's periodic timer ticks, and waits
    /// (bounded) until that sweep has finished, seen by its "SweepCompleted" log (needs <see cref="EnableSweepLogs"/>).
    /// Do not call <see cref="ISessionRegistry.SweepAsync"/> concurrently: its log would be taken for the hosted sweep's.
    /// </summary>
    /// <remarks>
    /// On .NET 10 a BackgroundService's ExecuteAsync runs on the thread pool after StartAsync returns, so the sweeper's
    /// PeriodicTimer might not exist yet when the fake time moves (it would then be created at the advanced time and
    /// not tick). If no sweep shows up within a second, one more interval is advanced; an extra sweep is harmless.
    /// </remarks>
    public static async Task RunOnceAsync(TestHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        TimeSpan interval = host.App.Services.GetRequiredService<IOptions<LimpsSessionsOptions>>().Value.EffectiveSweepInterval;
        int before = CountSweeps(host.Logs);
        for (int attempt = 0; attempt < 5; attempt++)
        {
            host.Time.Advance(interval);
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(attempt == 0 ? 1 : 2));
            try
            {
                while (CountSweeps(host.Logs) <= before)
                {
                    await Task.Delay(5, bound.Token);
                }

                return;
            }
            catch (OperationCanceledException) when (bound.IsCancellationRequested)
            {
                // No tick yet: the timer may have been created after the advance.
            }
        }

        throw new TimeoutException("The hosted sweeper did not sweep after the fake time source advanced.");
    }

    private static int CountSweeps(FakeLogCollector logs) =>
        logs.GetSnapshot().Count(r => r.Id.Name == SweepCompleted);
}
