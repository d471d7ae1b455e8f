using System.Net.Http.Headers;

namespace Limps.Sessions.Client;

/// <summary>
/// A copy of a request that can be sent again: the <c>initialize</c> and the <c>notifications/initialized</c> a session
/// started with, or a request to retry. It never holds an <c>Mcp-Session-Id</c>; one is set when it is sent.
/// </summary>
internal sealed class CapturedRequest
{
    private readonly HttpMethod _method;
    private readonly Uri? _uri;
    private readonly Version _version;
    private readonly HttpVersionPolicy _versionPolicy;
    private readonly KeyValuePair<string, string[]>[] _headers;
    private readonly KeyValuePair<string, string[]>[] _contentHeaders;
    private readonly byte[]? _body;

    private readonly KeyValuePair<string, object?>[] _options;

    private CapturedRequest(HttpRequestMessage request, byte[]? body, bool keepTracing)
    {
        _method = request.Method;
        _uri = request.RequestUri;
        _version = request.Version;
        _versionPolicy = request.VersionPolicy;
        _headers = [.. request.Headers
            .Where(h => keepTracing
                ? !h.Key.Equals(McpWire.SessionIdHeader, StringComparison.OrdinalIgnoreCase)
                : !IsPerRequest(h.Key))
            .Select(h => new KeyValuePair<string, string[]>(h.Key, [.. h.Value]))];
        _options = keepTracing ? [.. request.Options] : [];
        _contentHeaders = request.Content is null
            ? []
            : [.. request.Content.Headers.Select(h => new KeyValuePair<string, string[]>(h.Key, [.. h.Value]))];
        _body = body;
    }

    /// <summary>Gets the address the request was sent to.</summary>
    public Uri? RequestUri => _uri;

    /// <summary>Copies a request whose content (if any) is <paramref name="body"/>, to replay it on a later session.</summary>
    public static CapturedRequest ForReplay(HttpRequestMessage request, byte[]? body) => new(request, body, keepTracing: false);

    /// <summary>Copies a request whose content (if any) is <paramref name="body"/>, to retry it now: every header
    /// but the session id, and its options, are kept.</summary>
    public static CapturedRequest ForRetry(HttpRequestMessage request, byte[]? body) => new(request, body, keepTracing: true);

    /// <summary>
    /// The headers of a request that should win over a captured request's own when that one is replayed on its behalf:
    /// everything but the MCP headers (they describe one message) and tracing headers. This keeps a refreshed
    /// <c>Authorization</c> or cookie.
    /// </summary>
    public static KeyValuePair<string, string[]>[] Overrides(HttpRequestMessage request) =>
        [.. request.Headers
            .Where(h => !IsPerRequest(h.Key) &&
                        !h.Key.StartsWith("Mcp-", StringComparison.OrdinalIgnoreCase) &&
                        !h.Key.Equals("Last-Event-ID", StringComparison.OrdinalIgnoreCase) &&
                        !h.Key.Equals("Accept", StringComparison.OrdinalIgnoreCase))
            .Select(h => new KeyValuePair<string, string[]>(h.Key, [.. h.Value]))];

    /// <summary>A new request message with the captured method, address, headers and body.</summary>
    /// <param name="sessionId">The <c>Mcp-Session-Id</c> to send, or null for none.</param>
    /// <param name="overrides">Headers that replace the captured ones of the same name.</param>
    public HttpRequestMessage Create(string? sessionId, IReadOnlyCollection<KeyValuePair<string, string[]>>? overrides = null)
    {
        var request = new HttpRequestMessage(_method, _uri) { Version = _version, VersionPolicy = _versionPolicy };
        foreach (KeyValuePair<string, string[]> header in _headers)
        {
            request.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        if (overrides is not null)
        {
            foreach (KeyValuePair<string, string[]> header in overrides)
            {
                request.Headers.Remove(header.Key);
                request.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        foreach (KeyValuePair<string, object?> option in _options)
        {
            ((IDictionary<string, object?>)request.Options)[option.Key] = option.Value;
        }

        if (sessionId is not null)
        {
            McpWire.SetSessionId(request.Headers, sessionId);
        }

        if (_body is not null)
        {
            var content = new ByteArrayContent(_body);
            CopyContentHeaders(content.Headers);
            request.Content = content;
        }

        return request;
    }

    private void CopyContentHeaders(HttpContentHeaders headers)
    {
        foreach (KeyValuePair<string, string[]> header in _contentHeaders)
        {
            if (!header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }
    }

    /// <summary>Headers that belong to one request only: the session id and distributed-tracing context.</summary>
    private static bool IsPerRequest(string name) =>
        name.Equals(McpWire.SessionIdHeader, StringComparison.OrdinalIgnoreCase) ||
        name.Equals("traceparent", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("tracestate", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("baggage", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("Request-Id", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("Correlation-Context", StringComparison.OrdinalIgnoreCase);
}
