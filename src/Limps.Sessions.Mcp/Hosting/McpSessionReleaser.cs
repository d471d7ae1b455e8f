using System.Collections.Concurrent;
using System.Threading.Channels;
using Limps.Sessions.AspNetCore;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Limps.Sessions.Mcp;

/// <summary>
/// When Limps ends a session (timeout, delete, an explicit end), tells the MCP server to drop its own state for
/// it by sending the server's DELETE handler an in-process request as the session's owner, once the requests admitted
/// on the session in this process have finished (<see cref="SessionRequestDrain"/>, bounded). Ends are queued and
/// released in the background so registry calls never wait on the MCP server. On shutdown nothing is released:
/// the MCP server disposes its sessions itself, and a DELETE would cut requests that are still finishing.
/// </summary>
/// <remarks>
/// Releases run in parallel, at most <see cref="MaxParallelReleases"/> at once, and each is bounded by
/// <see cref="LimpsSessionsHttpOptions.ReleaseDrainTimeout"/> for the drain and again for the DELETE: one hung DELETE
/// of the MCP server delays nothing but itself. The queue is bounded too: an end that finds it full is logged and
/// dropped (the MCP server then keeps that session's state until it restarts; Limps has ended it all the same).
/// Nothing in here may stop the host: every failure is logged and the loop goes on.
/// </remarks>
internal sealed class McpSessionReleaser(
    McpEndpointTracker tracker,
    IServiceProvider services,
    SessionRequestDrain drain,
    IOptions<LimpsSessionsHttpOptions> httpOptions,
    IOptions<LimpsSessionsOptions> options,
    TimeProvider time,
    ILogger<McpSessionReleaser> logger,
    IHostApplicationLifetime? lifetime = null) : BackgroundService, ISessionLifecycleObserver, ISessionServerReleaser
{
    internal const int MaxParallelReleases = 8;

    // A failing log provider must not turn an answer into a 500 or stop the host.
    private readonly ILogger _log = SessionTelemetry.NonThrowing(logger);

    private readonly TimeSpan _bound = httpOptions.Value.ReleaseDrainTimeout;

    private readonly Channel<(SessionId Id, string? Owner)> _queue =
        Channel.CreateBounded<(SessionId, string?)>(new BoundedChannelOptions(Math.Max(1024, options.Value.MaxSessions))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });

    private readonly SemaphoreSlim _slots = new(MaxParallelReleases, MaxParallelReleases);

    // The MCP server only accepts a DELETE from the session's owner. Tombstones carry it; this map covers stores that
    // do not fill it in.
    private readonly ConcurrentDictionary<string, string> _owners = new(StringComparer.Ordinal);

    public void OnSessionStarted(SessionInfo session)
    {
        if (session.Owner is not null)
        {
            _owners[session.Id.ToString()] = session.Owner;
        }
    }

    public void OnSessionEnded(ExpiredSession session)
    {
        string? known = OwnerOf(session);
        string? owner = session.Owner ?? known;
        if (lifetime?.ApplicationStopping.IsCancellationRequested != true && !_queue.Writer.TryWrite((session.Id, owner)))
        {
            McpLog.ReleaseDropped(_log, session.Id.Masked);
        }
    }

    /// <inheritdoc />
    public void AddEndpoint(string path, RequestDelegate handler) => tracker.Track(path, handler);

    /// <summary>Releases the MCP server's state of a session now (bounded; a failure is logged, never thrown).</summary>
    public async ValueTask ReleaseAsync(SessionId id, string? owner)
    {
        foreach (McpEndpointTracker.ReleaseTarget target in tracker.Targets)
        {
            await ReleaseAtAsync(target, id, owner).ConfigureAwait(false);
        }
    }

    public override void Dispose()
    {
        _slots.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach ((SessionId id, string? owner) in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
                {
                    await _slots.WaitAsync(stoppingToken).ConfigureAwait(false);
                    _ = ReleaseInBackgroundAsync(id, owner, stoppingToken);
                }

                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return; // Shutting down.
            }
#pragma warning disable CA1031 // Whatever went wrong, the releases after it still run: log and go on.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                McpLog.ReleaseLoopFailed(_log, ex);
            }
        }
    }

    private async Task ReleaseInBackgroundAsync(SessionId id, string? owner, CancellationToken stoppingToken)
    {
        try
        {
            // Let the requests admitted on the session finish before the MCP server drops it under them.
            if (!await drain.WaitForRequestsAsync(id, stoppingToken).ConfigureAwait(false))
            {
                McpLog.DrainTimedOut(_log, id.Masked, _bound);
            }

            await ReleaseAsync(id, owner).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the MCP server disposes its sessions itself.
        }
#pragma warning disable CA1031 // A failed release must not stop the releases after it, nor the host.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            McpLog.ReleaseFailed(_log, id.Masked, 0, ex);
        }
        finally
        {
            try
            {
                _slots.Release();
            }
            catch (ObjectDisposedException)
            {
                // The host is gone.
            }
        }
    }

    private async Task ReleaseAtAsync(McpEndpointTracker.ReleaseTarget target, SessionId id, string? owner)
    {
        int status = 0;
        using var abort = new CancellationTokenSource(_bound, time);
        try
        {
            // Inside the try: an owner string not made by SessionOwner (any caller of the public registry API may
            // choose one) must fail this release only.
            var context = new DefaultHttpContext { User = SessionOwner.PrincipalOf(owner), RequestAborted = abort.Token };
            await using AsyncServiceScope scope = services.CreateAsyncScope();
            context.RequestServices = scope.ServiceProvider;
            context.Request.Method = HttpMethods.Delete;
            context.Request.Path = target.Path;
            context.Request.Headers[SessionHeaders.SessionId] = id.ToString();
            context.Response.Body = Stream.Null;
            try
            {
                await target.DeleteHandler(context).WaitAsync(_bound, time).ConfigureAwait(false);
            }
            finally
            {
                status = context.Response.StatusCode;
            }

            if (status is not (StatusCodes.Status200OK or StatusCodes.Status204NoContent))
            {
                McpLog.ReleaseFailed(_log, id.Masked, status, null);
            }
        }
        catch (TimeoutException)
        {
            // The MCP server did not let go in time; it keeps going in the background, the next releases do not wait.
            await abort.CancelAsync().ConfigureAwait(false);
            McpLog.ReleaseTimedOut(_log, id.Masked, _bound);
        }
#pragma warning disable CA1031 // A failed release must not stop the releases after it, nor the host.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            McpLog.ReleaseFailed(_log, id.Masked, status, ex);
        }
    }

    private string? OwnerOf(ExpiredSession session) =>
        _owners.TryRemove(session.Id.ToString(), out string? owner) ? owner : null;
}
