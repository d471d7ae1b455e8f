using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Limps.Sessions.AspNetCore;

/// <summary>
/// The session check in front of an MCP endpoint: translates each request into registry calls and the registry's
/// answers into HTTP. It holds no lifecycle logic of its own.
/// </summary>
internal sealed class SessionGate(
    ISessionRegistry registry,
    SessionErrorWriter errors,
    IEnumerable<ISessionServerReleaser> releasers,
    IOptions<LimpsSessionsOptions> options,
    ILogger<SessionGate> logger)
{
    // From this protocol version on, MCP has no sessions; such requests are the MCP server's business alone.
    private const string FirstSessionlessProtocolVersion = "2026-07-28";

    private readonly int _maxSessions = options.Value.MaxSessions;
    private readonly ISessionServerReleaser[] _releasers = [.. releasers];

    // A failing log provider must not turn an answer into a 500 or stop the host.
    private readonly ILogger _log = SessionTelemetry.NonThrowing(logger);

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await CheckAsync(context, next).ConfigureAwait(false);
        }
        catch (SessionStoreUnavailableException ex) when (!context.Response.HasStarted)
        {
            // The store cannot say whether the session lives: never 404 (the client would drop a live session).
            HttpLog.SessionStoreUnavailable(_log, ex);
            context.Response.Clear();
            await errors.WriteStoreUnavailableAsync(context).ConfigureAwait(false);
        }
    }

    private async Task CheckAsync(HttpContext context, RequestDelegate next)
    {
        HttpRequest request = context.Request;
        if (IsSessionlessProtocol(request))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        StringValues ids = request.Headers[SessionHeaders.SessionId];
        if (ids.Count == 0)
        {
            await PassWithoutSessionAsync(context, next).ConfigureAwait(false);
            return;
        }

        if (ids.Count > 1 || !SessionId.TryParse(ids[0], out SessionId id))
        {
            HttpLog.InvalidSessionId(_log, ids.Count > 1 ? "header repeated" : "not 1-128 visible ASCII characters");
            await errors.WriteInvalidAsync(context).ConfigureAwait(false);
            return;
        }

        CancellationToken aborted = context.RequestAborted;
        SessionLookup lookup = await registry.LookupAsync(id, aborted).ConfigureAwait(false);
        if (!lookup.IsActive)
        {
            await WriteEndedAsync(context, lookup).ConfigureAwait(false);
            return;
        }

        if (!string.Equals(lookup.Session.Owner, SessionOwner.KeyOf(context.User), StringComparison.Ordinal))
        {
            // Someone else's session must look exactly like one that does not exist, and stay untouched.
            HttpLog.SessionOwnerMismatch(_log, id.Masked);
            await errors.WriteNotFoundAsync(context).ConfigureAwait(false);
            return;
        }

        if (HttpMethods.IsDelete(request.Method))
        {
            if (!await registry.EndAsync(id, ExpiryReason.Deleted, aborted).ConfigureAwait(false))
            {
                // Something else ended it first; answer with what it is now.
                await WriteEndedAsync(context, await registry.LookupAsync(id, aborted).ConfigureAwait(false))
                    .ConfigureAwait(false);
                return;
            }

            // The MCP server still gets the DELETE so it frees its own state at once.
            await next(context).ConfigureAwait(false);
            return;
        }

        await ForwardUnderLeaseAsync(context, next, id).ConfigureAwait(false);
    }

    // The whole request, a long SSE stream included, runs under a lease, so the session cannot idle out under it.
    private async Task ForwardUnderLeaseAsync(HttpContext context, RequestDelegate next, SessionId id)
    {
        CancellationToken aborted = context.RequestAborted;
        SessionLease lease = await registry.BeginLeaseAsync(id, aborted).ConfigureAwait(false);
        try
        {
            if (!lease.IsHeld)
            {
                await WriteEndedAsync(context, lease.Lookup).ConfigureAwait(false);
                return;
            }

            await next(context).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Rethrown unless the session ended under the request.
        catch (Exception) when (!aborted.IsCancellationRequested && lease.IsHeld)
#pragma warning restore CA1031
        {
            // The MCP server dropped the session under this request (its owner deleted it, or it was closed) and
            // failed it (a cancelled wait, a closed channel): answer as any later request would be answered, instead
            // of letting a 500 out.
            SessionLookup after = await registry.LookupAsync(id, CancellationToken.None).ConfigureAwait(false);
            if (after.IsActive)
            {
                throw;
            }

            if (!context.Response.HasStarted)
            {
                context.Response.Clear();
                await WriteEndedAsync(context, after).ConfigureAwait(false);
            }

            // Otherwise it is too late for another status: the stream ends cleanly and the next request learns why.
        }
        finally
        {
            await ReleaseAsync(lease).ConfigureAwait(false);
        }
    }

    // The answer has gone out; a store that fails to record the end of a request must not turn it into an error.
    private async ValueTask ReleaseAsync(SessionLease lease)
    {
        try
        {
            await lease.DisposeAsync().ConfigureAwait(false);
        }
        catch (SessionStoreUnavailableException ex)
        {
            HttpLog.SessionStoreUnavailable(_log, ex);
        }
    }

    private static bool IsSessionlessProtocol(HttpRequest request)
    {
        StringValues versions = request.Headers[SessionHeaders.ProtocolVersion];
        return versions.Count == 1
            && versions[0] is { Length: 10 } version
            && string.CompareOrdinal(version, FirstSessionlessProtocolVersion) >= 0;
    }

    private Task WriteEndedAsync(HttpContext context, SessionLookup lookup) =>
        lookup.TryGetExpiry(out ExpiredSession? expired)
            ? errors.WriteExpiredAsync(context, expired)
            : errors.WriteNotFoundAsync(context);

    private async Task PassWithoutSessionAsync(HttpContext context, RequestDelegate next)
    {
        if (HttpMethods.IsPost(context.Request.Method))
        {
            if (!await HasRoomAsync(context.RequestAborted).ConfigureAwait(false))
            {
                HttpLog.SessionRefusedAtCapacity(_log);
                await errors.WriteCapacityAsync(context).ConfigureAwait(false);
                return;
            }

            // Only the MCP server knows whether this POST is an initialize that opens a session: register the id
            // it issues, if any, before its answer reaches the client, with the metadata gathered meanwhile.
            context.Features.Set<ISessionCreationFeature>(new SessionCreationFeature());
            context.Response.OnStarting(
                static state =>
                {
                    (SessionGate gate, HttpContext registering) = ((SessionGate, HttpContext))state;
                    return gate.RegisterIssuedSessionAsync(registering);
                },
                (this, context));
        }

        await next(context).ConfigureAwait(false);
    }

    private async ValueTask<bool> HasRoomAsync(CancellationToken cancellationToken)
    {
        if (await registry.CountAsync(cancellationToken).ConfigureAwait(false) < _maxSessions)
        {
            return true;
        }

        await registry.SweepAsync(cancellationToken).ConfigureAwait(false);
        return await registry.CountAsync(cancellationToken).ConfigureAwait(false) < _maxSessions;
    }

    private async Task RegisterIssuedSessionAsync(HttpContext context)
    {
        HttpResponse response = context.Response;
        if (!SessionId.TryParse(response.Headers[SessionHeaders.SessionId].ToString(), out SessionId id))
        {
            return;
        }

        string? owner = SessionOwner.KeyOf(context.User);
        IReadOnlyDictionary<string, string>? metadata = (context.Features.Get<ISessionCreationFeature>() as SessionCreationFeature)?.Added;
        try
        {
            await registry.CreateAsync(id, owner, metadata, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SessionCapacityExceededException or SessionStoreUnavailableException)
        {
            // Lost a race for the last slot (or the store failed) after the MCP server already opened its session:
            // refuse it and have the server drop it once this response is done.
            HttpLog.SessionRefusedAtCapacity(_log);
            response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            response.Headers.Remove(SessionHeaders.SessionId);
            response.Headers.RetryAfter = "1";
            response.OnCompleted(() => ReleaseAsync(id, owner));
        }
        catch (InvalidOperationException ex)
        {
            HttpLog.SessionRegistrationFailed(_log, id.Masked, ex);
        }
    }

    private async Task ReleaseAsync(SessionId id, string? owner)
    {
        foreach (ISessionServerReleaser releaser in _releasers)
        {
            await releaser.ReleaseAsync(id, owner).ConfigureAwait(false);
        }
    }
}
