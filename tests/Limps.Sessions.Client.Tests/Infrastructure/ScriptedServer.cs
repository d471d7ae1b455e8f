using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Limps.Sessions.Client.Tests.Infrastructure;

/// <summary>A request as the scripted server received it.</summary>
public sealed record ReceivedRequest(
    HttpMethod Method,
    string? SessionId,
    string? RpcMethod,
    byte[]? Body,
    IReadOnlyDictionary<string, string> Headers,
    string? ContentType)
{
    public string? Header(string name) => Headers.TryGetValue(name, out string? value) ? value : null;

    public string BodyText => Body is null ? string.Empty : Encoding.UTF8.GetString(Body);
}

/// <summary>How the scripted server answers a request whose session it does not have.</summary>
public enum NotFoundStyle
{
    /// <summary>Limps: 404 SESSION_EXPIRED with the X-Session-Expired headers (for ended sessions), else SESSION_NOT_FOUND.</summary>
    Limps,

    /// <summary>Limps with its JSON-RPC envelope option: the same headers, the code under error.data.</summary>
    LimpsJsonRpc,

    /// <summary>The MCP SDK's own bare 404.</summary>
    Plain,
}

/// <summary>
/// A scripted MCP Streamable HTTP server as an in-memory <see cref="HttpMessageHandler"/> (the recovery handler's inner
/// handler in unit tests). It issues ids on <c>initialize</c>, answers requests on live sessions, answers 404 for
/// others, and lets a test end sessions, hold <c>initialize</c> answers, or take over any answer.
/// </summary>
public sealed class ScriptedServer : HttpMessageHandler
{
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private readonly ConcurrentDictionary<string, bool> _live = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _ended = new(StringComparer.Ordinal);
    private int _issued;

    public IReadOnlyList<ReceivedRequest> Requests => [.. _requests];

    public NotFoundStyle NotFound { get; set; } = NotFoundStyle.Limps;

    /// <summary>Answer <c>initialize</c> as an SSE stream (as the MCP SDK server does) rather than JSON.</summary>
    public bool SseInitialize { get; set; }

    public string ProtocolVersion { get; set; } = "2025-11-25";

    /// <summary>When set, <c>initialize</c> answers wait for it (honouring cancellation).</summary>
    public TaskCompletionSource? InitializeGate { get; set; }

    /// <summary>Takes over: a non-null answer is returned instead of the scripted one.</summary>
    public Func<ReceivedRequest, HttpResponseMessage?>? Override { get; set; }

    public IReadOnlyList<string> IssuedIds { get; private set; } = [];

    public IEnumerable<ReceivedRequest> Initializes => Requests.Where(r => r.RpcMethod == "initialize");

    public int Count(string rpcMethod) => Requests.Count(r => r.RpcMethod == rpcMethod);

    public bool IsLive(string id) => _live.ContainsKey(id);

    /// <summary>Ends a session as Limps would, with a reason code.</summary>
    public void End(string id, string reason = "timeout")
    {
        _live.TryRemove(id, out _);
        _ended[id] = reason;
    }

    /// <summary>Forgets every session (a restart): they read as never known.</summary>
    public void Restart()
    {
        _live.Clear();
        _ended.Clear();
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        byte[]? body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var headers = request.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        var received = new ReceivedRequest(
            request.Method, WireRecorder.SessionIdOf(request), WireRecorder.RpcMethodOf(body), body, headers,
            request.Content?.Headers.ContentType?.ToString());
        _requests.Enqueue(received);

        if (Override?.Invoke(received) is { } overridden)
        {
            overridden.RequestMessage = request;
            return overridden;
        }

        HttpResponseMessage response = await AnswerAsync(received, cancellationToken);
        response.RequestMessage = request;
        return response;
    }

    private async Task<HttpResponseMessage> AnswerAsync(ReceivedRequest request, CancellationToken cancellationToken)
    {
        if (request.SessionId is null)
        {
            if (request.Method == HttpMethod.Post && request.RpcMethod == "initialize")
            {
                if (InitializeGate is { } gate)
                {
                    await gate.Task.WaitAsync(cancellationToken);
                }

                return Initialize(request);
            }

            return Json(HttpStatusCode.BadRequest, """{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Bad Request"}}""");
        }

        string id = request.SessionId;
        if (!_live.ContainsKey(id))
        {
            return SessionGone(id);
        }

        if (request.Method == HttpMethod.Delete)
        {
            End(id, "deleted");
            return new HttpResponseMessage(HttpStatusCode.OK);
        }

        if (request.Method == HttpMethod.Get)
        {
            var stream = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(": open\n\n") };
            stream.Content.Headers.ContentType = new MediaTypeHeaderValue("text/event-stream");
            stream.Headers.TryAddWithoutValidation("Mcp-Session-Id", id);
            return stream;
        }

        if (request.RpcMethod is not null && request.RpcMethod.StartsWith("notifications/", StringComparison.Ordinal))
        {
            return new HttpResponseMessage(HttpStatusCode.Accepted);
        }

        string rpcId = RpcIdOf(request.Body);
        HttpResponseMessage ok = Json(HttpStatusCode.OK,
            $$$"""{"jsonrpc":"2.0","id":{{{rpcId}}},"result":{"session":"{{{id}}}","method":"{{{request.RpcMethod}}}"}}""");
        ok.Headers.TryAddWithoutValidation("Mcp-Session-Id", id);
        return ok;
    }

    private HttpResponseMessage Initialize(ReceivedRequest request)
    {
        int n = Interlocked.Increment(ref _issued);
        string id = $"session{n.ToString("D2", CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}";
        _live[id] = true;
        IssuedIds = [.. IssuedIds, id];
        string result = "{\"jsonrpc\":\"2.0\",\"id\":" + RpcIdOf(request.Body) + ",\"result\":{\"protocolVersion\":\"" + ProtocolVersion +
            "\",\"capabilities\":{},\"serverInfo\":{\"name\":\"scripted\",\"version\":\"1\"}}}";
        HttpResponseMessage response = SseInitialize
            ? Sse($"event: message\ndata: {{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{{}}}}\n\nevent: message\ndata: {result}\n\n")
            : Json(HttpStatusCode.OK, result);
        response.Headers.TryAddWithoutValidation("Mcp-Session-Id", id);
        return response;
    }

    private HttpResponseMessage SessionGone(string id)
    {
        if (NotFound == NotFoundStyle.Plain)
        {
            return Json(HttpStatusCode.NotFound, """{"error":{"code":-32001,"message":"Session not found"},"id":null,"jsonrpc":"2.0"}""");
        }

        string data = _ended.TryGetValue(id, out string? reason)
            ? $$$"""{"error":"Session expired","code":"SESSION_EXPIRED","message":"Session expired due to {{{reason}}}. Please reconnect without session ID.","expiredAt":"2026-02-11T10:30:00.000Z","reason":"{{{reason}}}"}"""
            : """{"error":"Session not found","code":"SESSION_NOT_FOUND","message":"Session ID not recognized. It may have been invalid or the server was restarted."}""";
        string body = NotFound == NotFoundStyle.LimpsJsonRpc
            ? $$$"""{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"gone","data":{{{data}}}}}"""
            : data;
        HttpResponseMessage response = Json(HttpStatusCode.NotFound, body);
        if (reason is not null && NotFound == NotFoundStyle.Limps)
        {
            response.Headers.TryAddWithoutValidation("X-Session-Expired", "true");
            response.Headers.TryAddWithoutValidation("X-Session-Expired-Reason", reason);
        }

        return response;
    }

    public static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    public static HttpResponseMessage Sse(string events)
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(events, Encoding.UTF8) };
        response.Content.Headers.ContentType = new MediaTypeHeaderValue("text/event-stream");
        return response;
    }

    private static string RpcIdOf(byte[]? body)
    {
        if (body is null)
        {
            return "null";
        }

        using var document = JsonDocument.Parse(body);
        return document.RootElement.TryGetProperty("id", out JsonElement id) ? id.GetRawText() : "null";
    }
}
