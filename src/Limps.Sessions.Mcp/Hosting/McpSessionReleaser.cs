using System.Collections.Concurrent;
using System.Threading.Channels;
using Limps.Sessions.AspNetCore;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Limps.Sessions.Mcp;

/// <summary>
/// When Limps ends a session (timeout, delete, an explicit end), tells the MCP server to drop its own state for
/// it by sending the server's DELETE handler an in-process request as the session's owner. Ends are queued and
/// released in the background so registry calls never wait on the MCP server. On shutdown nothing is released:
/// the MCP server disposes its sessions itself, and a DELETE would cut requests that are still finishing.
/// </summary>
internal sealed class McpSessionReleaser(
    McpEndpointTracker tracker,
    IServiceProvider services,
    ILogger<McpSessionReleaser> logger,
    IHostApplicationLifetime? lifetime = null) : BackgroundService, ISessionLifecycleObserver, ISessionServerReleaser
{
    // A failing log provider must not turn an answer into a 500 or stop the host.
    private readonly ILogger _log = SessionTelemetry.NonThrowing(logger);

    private readonly Channel<(SessionId Id, string? Owner)> _queue =
        Channel.CreateUnbounded<(SessionId, string?)>(new UnboundedChannelOptions { SingleReader = true });

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
        if (lifetime?.ApplicationStopping.IsCancellationRequested != true)
        {
            _queue.Writer.TryWrite((session.Id, owner));
        }
    }

    /// <inheritdoc />
    public void AddEndpoint(string path, RequestDelegate handler) => tracker.Track(path, handler);

    /// <summary>Releases the MCP server's state of a session now.</summary>
    public async ValueTask ReleaseAsync(SessionId id, string? owner)
    {
        foreach (McpEndpointTracker.ReleaseTarget target in tracker.Targets)
        {
            await using AsyncServiceScope scope = services.CreateAsyncScope();
            var context = new DefaultHttpContext
            {
                RequestServices = scope.ServiceProvider,
                User = SessionOwner.PrincipalOf(owner),
            };
            context.Request.Method = HttpMethods.Delete;
            context.Request.Path = target.Path;
            context.Request.Headers[SessionHeaders.SessionId] = id.ToString();
            context.Response.Body = Stream.Null;
            try
            {
                await target.DeleteHandler(context).ConfigureAwait(false);
                if (context.Response.StatusCode is not (StatusCodes.Status200OK or StatusCodes.Status204NoContent))
                {
                    McpLog.ReleaseFailed(_log, id.Masked, context.Response.StatusCode, null);
                }
            }
#pragma warning disable CA1031 // A failed release must not stop the releases after it.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                McpLog.ReleaseFailed(_log, id.Masked, context.Response.StatusCode, ex);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach ((SessionId id, string? owner) in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                await ReleaseAsync(id, owner).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private string? OwnerOf(ExpiredSession session) =>
        _owners.TryRemove(session.Id.ToString(), out string? owner) ? owner : null;
}
