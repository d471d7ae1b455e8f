using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Limps.Sessions.AspNetCore;

/// <summary>
/// The session check in front of an MCP endpoint: translates each request into registry calls and the registry's
/// answers into HTTP. It holds no lifecycle logic of its own.
/// </summary>
/// <remarks>
/// Cost matters here: every request of the host passes. The common path (a live session's request) runs without an
/// async frame of its own until the server's handler is pending, makes one registry call
/// (<see cref="ISessionRegistry.BeginLeaseForOwnerAsync"/>) and then awaits the handler in exactly one async method.
/// Everything else (errors, pending store calls, DELETE, requests without an id) lives in separate methods that the
/// common path never enters.
/// </remarks>
internal sealed class SessionGate(
    ISessionRegistry registry,
    SessionErrorWriter errors,
    SessionRequestDrain drain,
    IEnumerable<ISessionServerReleaser> releasers,
    IOptions<LimpsSessionsOptions> options,
    ILogger<SessionGate> logger)
{
    private readonly int _maxSessions = options.Value.MaxSessions;
    private readonly ISessionServerReleaser[] _releasers = [.. releasers];

    // Without a server integration nobody waits for the requests of an ended session, so none are counted.
    private bool Drained => _releasers.Length > 0;

    // A failing log provider must not turn an answer into a 500 or stop the host.
    private readonly ILogger _log = SessionTelemetry.NonThrowing(logger);

    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        HttpRequest request = context.Request;
        if (SessionlessProtocol.IsSessionless(request.Headers[SessionHeaders.ProtocolVersion]))
        {
            return next(context);
        }

        StringValues ids = request.Headers[SessionHeaders.SessionId];
        if (ids.Count == 0)
        {
            return GuardStoreAsync(context, PassWithoutSessionAsync(context, next));
        }

        if (ids.Count > 1 || !SessionId.TryParse(ids[0], out SessionId id))
        {
            HttpLog.InvalidSessionId(_log, ids.Count > 1 ? "header repeated" : "not 1-128 visible ASCII characters");
            return errors.WriteInvalidAsync(context);
        }

        if (HttpMethods.IsDelete(request.Method))
        {
            return GuardStoreAsync(context, DeleteAsync(context, next, id));
        }

        // Only POSTs are counted for the drain of an ended session (see SessionRequestDrain), and only when a server
        // integration will wait on it; counted before the lease is taken so an end that follows cannot miss them.
        SessionRequestDrain.Counter? counter = Drained && HttpMethods.IsPost(request.Method) ? drain.Enter(id) : null;
        ValueTask<SessionLease> pending;
        try
        {
            pending = registry.BeginLeaseForOwnerAsync(id, SessionOwner.KeyOf(context.User), context.RequestAborted);
        }
        catch (SessionStoreUnavailableException ex)
        {
            Exit(id, counter, admitted: false);
            return AnswerStoreUnavailableAsync(context, ex);
        }
        catch (Exception)
        {
            Exit(id, counter, admitted: false);
            throw;
        }

        if (!pending.IsCompletedSuccessfully)
        {
            return LeaseSlowlyAsync(context, next, id, pending, counter);
        }

        SessionLease lease = pending.Result;
        if (!lease.IsHeld)
        {
            Exit(id, counter, admitted: false);
            return RefuseAsync(context, id, lease);
        }

        return ForwardUnderLeaseAsync(context, next, id, lease, counter);
    }

    // The whole request, a long SSE stream included, runs under a lease, so the session cannot idle out under it.
    // This is the one async frame of the common path.
    private async Task ForwardUnderLeaseAsync(
        HttpContext context, RequestDelegate next, SessionId id, SessionLease lease, SessionRequestDrain.Counter? counter)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (SessionStoreUnavailableException ex) when (!context.Response.HasStarted)
        {
            await AnswerStoreUnavailableAsync(context, ex).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Rethrown unless the session ended under the request.
        catch (Exception) when (!context.RequestAborted.IsCancellationRequested)
#pragma warning restore CA1031
        {
            // The MCP server dropped the session under this request (the drain's bound passed, or it was closed) and
            // failed it (a cancelled wait, a closed channel): answer as any later request would be answered, instead
            // of letting a 500 out.
            if (!await TryAnswerEndedUnderRequestAsync(context, id).ConfigureAwait(false))
            {
                throw;
            }
        }
        finally
        {
            Exit(id, counter, admitted: true);
            await ReleaseAsync(lease).ConfigureAwait(false);
        }
    }

    // A store whose lease answer is pending (Redis): await it, then as the common path.
    private async Task LeaseSlowlyAsync(
        HttpContext context, RequestDelegate next, SessionId id, ValueTask<SessionLease> pending, SessionRequestDrain.Counter? counter)
    {
        SessionLease lease;
        try
        {
            lease = await pending.ConfigureAwait(false);
        }
        catch (SessionStoreUnavailableException ex) when (!context.Response.HasStarted)
        {
            Exit(id, counter, admitted: false);
            await AnswerStoreUnavailableAsync(context, ex).ConfigureAwait(false);
            return;
        }
        catch (Exception)
        {
            Exit(id, counter, admitted: false);
            throw;
        }

        if (!lease.IsHeld)
        {
            Exit(id, counter, admitted: false);
            await RefuseAsync(context, id, lease).ConfigureAwait(false);
            return;
        }

        await ForwardUnderLeaseAsync(context, next, id, lease, counter).ConfigureAwait(false);
    }

    private async Task<bool> TryAnswerEndedUnderRequestAsync(HttpContext context, SessionId id)
    {
        SessionLookup after;
        try
        {
            after = await registry.LookupAsync(id, CancellationToken.None).ConfigureAwait(false);
        }
        catch (SessionStoreUnavailableException ex)
        {
            HttpLog.SessionStoreUnavailable(_log, ex);
            return false;
        }

        if (after.IsActive)
        {
            return false;
        }

        if (!context.Response.HasStarted)
        {
            context.Response.Clear();
            await WriteEndedAsync(context, after).ConfigureAwait(false);
        }

        // Otherwise it is too late for another status: the stream ends cleanly and the next request learns why.
        return true;
    }

    private Task RefuseAsync(HttpContext context, SessionId id, SessionLease lease)
    {
        if (lease.IsOwnerMismatch)
        {
            // Someone else's session, live or ended, must look exactly like one that does not exist.
            HttpLog.SessionOwnerMismatch(_log, id.Masked);
        }

        return WriteEndedAsync(context, lease.Lookup);
    }

    private void Exit(SessionId id, SessionRequestDrain.Counter? counter, bool admitted)
    {
        if (counter is not null)
        {
            drain.Exit(id, counter, admitted);
        }
    }

    // DELETE ends the session at once and answers 200 itself. The server's own state is freed by its integration
    // (an ISessionServerReleaser observing the end) once the requests admitted on the session have finished; without
    // one, the DELETE goes on to the server as before.
    private async Task DeleteAsync(HttpContext context, RequestDelegate next, SessionId id)
    {
        CancellationToken aborted = context.RequestAborted;
        string? owner = SessionOwner.KeyOf(context.User);
        SessionLookup lookup = await registry.LookupAsync(id, aborted).ConfigureAwait(false);
        if (!lookup.IsOwnedBy(owner))
        {
            HttpLog.SessionOwnerMismatch(_log, id.Masked);
            await errors.WriteNotFoundAsync(context).ConfigureAwait(false);
            return;
        }

        if (!lookup.IsActive)
        {
            await WriteEndedAsync(context, lookup).ConfigureAwait(false);
            return;
        }

        if (!await registry.EndAsync(id, ExpiryReason.Deleted, aborted).ConfigureAwait(false))
        {
            // Something else ended it first; answer with what it is now (to its owner only).
            SessionLookup now = await registry.LookupAsync(id, aborted).ConfigureAwait(false);
            await WriteEndedAsync(context, now.IsOwnedBy(owner) ? now : SessionLookup.NotFound).ConfigureAwait(false);
            return;
        }

        if (_releasers.Length == 0)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
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

    // The store cannot say whether the session lives: never 404 (the client would drop a live session).
    private async Task GuardStoreAsync(HttpContext context, Task checking)
    {
        try
        {
            await checking.ConfigureAwait(false);
        }
        catch (SessionStoreUnavailableException ex) when (!context.Response.HasStarted)
        {
            await AnswerStoreUnavailableAsync(context, ex).ConfigureAwait(false);
        }
    }

    private Task AnswerStoreUnavailableAsync(HttpContext context, SessionStoreUnavailableException ex)
    {
        HttpLog.SessionStoreUnavailable(_log, ex);
        context.Response.Clear();
        return errors.WriteStoreUnavailableAsync(context);
    }

    private Task WriteEndedAsync(HttpContext context, SessionLookup lookup) =>
        lookup.TryGetExpiry(out ExpiredSession? expired)
            ? errors.WriteExpiredAsync(context, expired)
            : errors.WriteNotFoundAsync(context);

    private async Task PassWithoutSessionAsync(HttpContext context, RequestDelegate next)
    {
        if (HttpMethods.IsPost(context.Request.Method))
        {
            if (!await HasRoomAsync(context.RequestAborted).ConfigureAwait(false)
                && await JsonRpcMethod.IsInitializeAsync(context.Request).ConfigureAwait(false))
            {
                // Only a request that would open a session is refused; other id-less requests (a discovery probe, a
                // sessionless call) are the server's business even at capacity.
                HttpLog.SessionRefusedAtCapacity(_log);
                await errors.WriteCapacityAsync(context).ConfigureAwait(false);
                return;
            }

            // Only the MCP server knows whether this POST is an initialize that opens a session: register the id
            // it issues, if any, before its answer reaches the client, with the metadata gathered meanwhile.
            var registration = new SessionRegistration(this, context);
            context.Features.Set<ISessionCreationFeature>(registration.Creation);
            registration.Install();
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

    /// <summary>
    /// Registers the id the server issued. Returns <see langword="false"/> when the session was refused (the capacity
    /// was reached meanwhile, or the store failed): the caller then answers 503 instead of the server's answer.
    /// </summary>
    internal async Task<bool> RegisterIssuedSessionAsync(HttpContext context, SessionCreationFeature creation)
    {
        HttpResponse response = context.Response;
        if (!SessionId.TryParse(response.Headers[SessionHeaders.SessionId].ToString(), out SessionId id))
        {
            return true;
        }

        string? owner = SessionOwner.KeyOf(context.User);
        try
        {
            await registry.CreateAsync(id, owner, creation.Added, CancellationToken.None).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is SessionCapacityExceededException or SessionStoreUnavailableException)
        {
            // Lost a race for the last slot (or the store failed) after the MCP server already opened its session:
            // refuse it and have the server drop it once this response is done.
            HttpLog.SessionRefusedAtCapacity(_log);
            response.OnCompleted(() => ReleaseRefusedAsync(id, owner));
            return false;
        }
        catch (InvalidOperationException ex)
        {
            HttpLog.SessionRegistrationFailed(_log, id.Masked, ex);
            return true;
        }
    }

    internal Task WriteRefusedAsync(HttpContext context)
    {
        context.Response.Headers.Remove(SessionHeaders.SessionId);
        return errors.WriteCapacityAsync(context);
    }

    private async Task ReleaseRefusedAsync(SessionId id, string? owner)
    {
        foreach (ISessionServerReleaser releaser in _releasers)
        {
            await releaser.ReleaseAsync(id, owner).ConfigureAwait(false);
        }
    }
}
