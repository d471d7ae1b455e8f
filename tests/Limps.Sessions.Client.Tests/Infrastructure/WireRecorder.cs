using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;

namespace Limps.Sessions.Client.Tests.Infrastructure;

/// <summary>One HTTP exchange: method, the <c>Mcp-Session-Id</c> sent and the one answered, the JSON-RPC method, the status.</summary>
public sealed record WireExchange(HttpMethod Method, string? SessionId, string? RpcMethod, HttpStatusCode Status, string? ResponseSessionId = null);

/// <summary>
/// Records HTTP exchanges: under the <see cref="SessionRecoveryHandler"/> what really went to the server, above it what
/// its caller (the MCP SDK) sent and got.
/// </summary>
public sealed class WireRecorder : DelegatingHandler
{
    private readonly ConcurrentQueue<WireExchange> _exchanges = new();

    public WireRecorder()
    {
    }

    public WireRecorder(HttpMessageHandler inner)
        : base(inner)
    {
    }

    public IReadOnlyList<WireExchange> Exchanges => [.. _exchanges];

    public int Count(string rpcMethod) => _exchanges.Count(e => e.RpcMethod == rpcMethod);

    public static string? RpcMethodOf(byte[]? body)
    {
        if (body is null || body.Length == 0)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object &&
                   document.RootElement.TryGetProperty("method", out JsonElement method)
                ? method.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static string? SessionIdOf(HttpRequestMessage request) =>
        request.Headers.TryGetValues("Mcp-Session-Id", out IEnumerable<string>? values) ? string.Join(",", values) : null;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        byte[]? body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        string? sessionId = SessionIdOf(request);
        HttpResponseMessage response = await base.SendAsync(request, cancellationToken);
        string? answered = response.Headers.TryGetValues("Mcp-Session-Id", out IEnumerable<string>? values) ? string.Join(",", values) : null;
        _exchanges.Enqueue(new WireExchange(request.Method, sessionId, RpcMethodOf(body), response.StatusCode, answered));
        return response;
    }
}
