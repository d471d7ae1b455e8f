using System.Net;

namespace Limps.Sessions.Client;

// Recovery: one shared re-initialize for the requests that lost a session together, then one retry each.
public sealed partial class SessionRecoveryHandler
{
    private async Task<HttpResponseMessage> RecoverAndRetryAsync(
        HttpRequestMessage request,
        byte[]? body,
        HttpResponseMessage notFound,
        TrackedSession session,
        string sentId,
        CancellationToken cancellationToken)
    {
        try
        {
            SessionLoss loss = await McpWire.ClassifyNotFoundAsync(notFound, cancellationToken).ConfigureAwait(false);
            _metrics.Lost(loss);
            Log.SessionLost(_logger, sentId, request.Method, loss);
            if (loss.Reason == SessionLossReason.PlainNotFound && !_options.RecoverFromPlainNotFound)
            {
                Log.PlainNotFoundReturned(_logger, sentId);
                return notFound;
            }

            RecoveryTicket ticket = session.BeginRecovery(sentId, _options.MaxConsecutiveRecoveries);
            switch (ticket.Role)
            {
                case RecoveryRole.GiveUp:
                    if (_options.MaxConsecutiveRecoveries > 0)
                    {
                        Log.RecoveryGivenUp(_logger, sentId, ticket.FailedInARow);
                    }

                    return notFound;
                case RecoveryRole.Lead:
                    _ = LeadRecoveryAsync(session, sentId, loss, request, ticket.FailedInARow);
                    break;
            }

            string? newId = await ticket.NewSessionId.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (newId is null)
            {
                return notFound;
            }

            HttpRequestMessage retry = CapturedRequest.ForRetry(request, body).Create(newId);
            retry.Headers.Remove("Last-Event-ID"); // the new session has no events to resume from
            HttpResponseMessage retried;
            try
            {
                retried = await base.SendAsync(retry, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                retry.Dispose();
                throw;
            }

            if (retried.StatusCode == HttpStatusCode.NotFound)
            {
                _metrics.Retried(succeeded: false);
                Log.RetryFailed(_logger, newId);
                retried.Dispose();
                retry.Dispose();
                return notFound;
            }

            _metrics.Retried(succeeded: true);
            notFound.Dispose();
            retried.RequestMessage = request;
            return Completed(retried, request.Method, session, newId);
        }
        catch
        {
            notFound.Dispose();
            throw;
        }
    }

    /// <summary>Runs the recovery other failed requests of the session join; never throws.</summary>
    private async Task LeadRecoveryAsync(
        TrackedSession session, string failedId, SessionLoss loss, HttpRequestMessage failedRequest, int failedInARow)
    {
        // Taken now: the failed request may be disposed while the recovery runs.
        KeyValuePair<string, string[]>[] overrides = CapturedRequest.Overrides(failedRequest);
        string? expectedVersion = failedRequest.Headers.TryGetValues(McpWire.ProtocolVersionHeader, out IEnumerable<string>? versions)
            ? versions.FirstOrDefault()
            : null;
        string? newId = null;
        try
        {
            TimeSpan delay = _options.BackoffBefore(failedInARow);
            if (delay > TimeSpan.Zero)
            {
                Log.RecoveryBackoff(_logger, failedId, delay, failedInARow);
                await Task.Delay(delay, _options.TimeProvider, _disposedToken).ConfigureAwait(false);
            }

            newId = await ReinitializeAsync(session, failedId, overrides, expectedVersion).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Whatever the exchange threw, the requests waiting on it get the original 404.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.ReinitializeFailed(_logger, failedId, ex);
        }
        finally
        {
            (TaskCompletionSource<string?> completion, int replacements) = session.EndRecovery(newId);
            _metrics.Reinitialized(loss, succeeded: newId is not null);
            if (newId is not null)
            {
                Log.SessionReplaced(_logger, failedId, newId, session.CallerId, loss.Reason);
                RaiseSessionReplaced(new SessionReplacedEventArgs(
                    SessionIdMask.Mask(session.CallerId),
                    SessionIdMask.Mask(failedId),
                    SessionIdMask.Mask(newId),
                    loss.Reason,
                    loss.ExpiryReason,
                    replacements));
            }

            completion.SetResult(newId);
        }
    }

    /// <summary>
    /// Replays the session's <c>initialize</c> (no session id) and <c>notifications/initialized</c> (the new id);
    /// returns the new id, or null when the server did not start a usable session.
    /// </summary>
    private async Task<string?> ReinitializeAsync(
        TrackedSession session, string failedId, KeyValuePair<string, string[]>[] overrides, string? expectedVersion)
    {
        using var timeout = new CancellationTokenSource(_options.ReinitializeTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _disposedToken);
        CancellationToken cancellationToken = linked.Token;

        string? newId;
        bool failed = false;
        using (HttpRequestMessage initialize = session.Initialize.Create(sessionId: null, overrides))
        using (HttpResponseMessage answer = await base.SendAsync(initialize, cancellationToken).ConfigureAwait(false))
        {
            newId = McpWire.GetSessionId(answer.Headers);
            if (!answer.IsSuccessStatusCode)
            {
                Log.ReinitializeRejected(_logger, failedId, McpWire.InitializeMethod, (int)answer.StatusCode);
                return null;
            }

            if (!McpWire.IsUsableSessionId(newId))
            {
                Log.ReinitializeUnusable(_logger, failedId, "initialize was answered without a usable Mcp-Session-Id");
                return null;
            }

            (bool isResult, string? version) = await McpWire.ReadInitializeResultAsync(answer, cancellationToken).ConfigureAwait(false);
            if (!isResult)
            {
                Log.ReinitializeUnusable(_logger, failedId, "initialize was answered with a JSON-RPC error or no result");
                failed = true;
            }
            else if (expectedVersion is not null && version is not null && !string.Equals(version, expectedVersion, StringComparison.Ordinal))
            {
                Log.ProtocolVersionChanged(_logger, failedId, version, expectedVersion);
                failed = true;
            }
        }

        if (!failed && session.Initialized is { } initialized)
        {
            using HttpRequestMessage notification = initialized.Create(newId, overrides);
            using HttpResponseMessage answer = await base.SendAsync(notification, cancellationToken).ConfigureAwait(false);
            if (!answer.IsSuccessStatusCode)
            {
                Log.ReinitializeRejected(_logger, failedId, McpWire.InitializedNotification, (int)answer.StatusCode);
                failed = true;
            }
        }

        if (!failed)
        {
            return newId;
        }

        await TryDeleteAsync(session, newId!, overrides, expectedVersion).ConfigureAwait(false);
        return null;
    }

    /// <summary>Ends, best effort, a session the handler started but will not use.</summary>
    private async Task TryDeleteAsync(
        TrackedSession session, string sessionId, KeyValuePair<string, string[]>[] overrides, string? protocolVersion)
    {
        try
        {
            using var timeout = new CancellationTokenSource(CleanupDeleteTimeout, _options.TimeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _disposedToken);
            using var delete = new HttpRequestMessage(HttpMethod.Delete, session.Initialize.RequestUri);
            foreach (KeyValuePair<string, string[]> header in overrides)
            {
                delete.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            McpWire.SetSessionId(delete.Headers, sessionId);
            if (protocolVersion is not null)
            {
                delete.Headers.TryAddWithoutValidation(McpWire.ProtocolVersionHeader, protocolVersion);
            }

            using HttpResponseMessage answer = await base.SendAsync(delete, linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException or ObjectDisposedException
                                       or InvalidOperationException)
        {
            // Best effort: the server forgets an unused session on its own.
        }
    }

    private void RaiseSessionReplaced(SessionReplacedEventArgs args)
    {
        EventHandler<SessionReplacedEventArgs>? handlers = SessionReplaced;
        if (handlers is null)
        {
            return;
        }

        foreach (EventHandler<SessionReplacedEventArgs> handler in handlers.GetInvocationList().Cast<EventHandler<SessionReplacedEventArgs>>())
        {
            try
            {
                handler(this, args);
            }
#pragma warning disable CA1031 // A subscriber's failure must not break the recovery of every waiting request.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.SessionReplacedHandlerFailed(_logger, args.CallerSessionId, ex);
            }
        }
    }
}
