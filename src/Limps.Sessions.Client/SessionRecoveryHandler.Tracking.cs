using System.Net;

namespace Limps.Sessions.Client;

// Tracking: which requests start a tracked session, and sending on one (the id rewritten both ways).
public sealed partial class SessionRecoveryHandler
{
    /// <summary>A request without a session id: an <c>initialize</c> answered with an id starts a tracked session.</summary>
    private async Task<HttpResponseMessage> SendWithoutSessionAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method != HttpMethod.Post || request.Content is null ||
            !string.Equals(request.Content.Headers.ContentType?.MediaType, "application/json", StringComparison.OrdinalIgnoreCase))
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        byte[] body = await BufferAsync(request.Content, cancellationToken).ConfigureAwait(false);
        if (!string.Equals(McpWire.ReadMethod(body), McpWire.InitializeMethod, StringComparison.Ordinal))
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        CapturedRequest initialize = CapturedRequest.ForReplay(request, body);
        HttpResponseMessage response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        string? id = McpWire.GetSessionId(response.Headers);
        if (response.IsSuccessStatusCode && McpWire.IsUsableSessionId(id))
        {
            Track(id!, initialize);
        }

        return response;
    }

    private void Track(string id, CapturedRequest initialize)
    {
        _sessions[id] = new TrackedSession(id, initialize, _table.NextSequence());
        Log.SessionTracked(_logger, id);
        while (_sessions.Count > _options.MaxTrackedSessions)
        {
            TrackedSession? oldest = null;
            foreach (TrackedSession candidate in _sessions.Values)
            {
                if (oldest is null || candidate.Sequence < oldest.Sequence)
                {
                    oldest = candidate;
                }
            }

            if (oldest is null)
            {
                break;
            }

            Forget(oldest, "more than MaxTrackedSessions sessions");
        }
    }

    private void Forget(TrackedSession session, string cause)
    {
        if (_sessions.TryRemove(new KeyValuePair<string, TrackedSession>(session.CallerId, session)))
        {
            Log.SessionForgotten(_logger, session.CallerId, cause);
        }
    }

    /// <summary>A request on a tracked session: send it with the current id; on a 404, recover and retry once.</summary>
    private async Task<HttpResponseMessage> SendOnSessionAsync(
        HttpRequestMessage request, TrackedSession session, CancellationToken cancellationToken)
    {
        byte[]? body = request.Content is null
            ? null
            : await BufferAsync(request.Content, cancellationToken).ConfigureAwait(false);
        if (session.Initialized is null && request.Method == HttpMethod.Post && body is not null &&
            string.Equals(McpWire.ReadMethod(body), McpWire.InitializedNotification, StringComparison.Ordinal))
        {
            session.CaptureInitialized(CapturedRequest.ForReplay(request, body));
        }

        string sentId = session.CurrentId;
        McpWire.SetSessionId(request.Headers, sentId);
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            McpWire.SetSessionId(request.Headers, session.CallerId); // the caller's message keeps the caller's id
        }

        if (response.StatusCode != HttpStatusCode.NotFound)
        {
            return Completed(response, request.Method, session, sentId);
        }

        if (request.Method == HttpMethod.Delete)
        {
            Forget(session, "its DELETE was answered 404");
            return response;
        }

        return await RecoverAndRetryAsync(request, body, response, session, sentId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records a success and shows the caller its own id in the response.</summary>
    private HttpResponseMessage Completed(HttpResponseMessage response, HttpMethod method, TrackedSession session, string sentId)
    {
        if (response.IsSuccessStatusCode)
        {
            session.Succeeded();
            if (method == HttpMethod.Delete)
            {
                Forget(session, "the caller deleted it");
            }
        }

        if (!string.Equals(sentId, session.CallerId, StringComparison.Ordinal) &&
            string.Equals(McpWire.GetSessionId(response.Headers), sentId, StringComparison.Ordinal))
        {
            McpWire.SetSessionId(response.Headers, session.CallerId);
        }

        return response;
    }
}
