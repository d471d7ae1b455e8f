using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Text.Json;

namespace Limps.Sessions.Client;

/// <summary>The few pieces of the MCP Streamable HTTP wire format and of Limps's answers the handler reads.</summary>
internal static class McpWire
{
    public const string SessionIdHeader = "Mcp-Session-Id";
    public const string ProtocolVersionHeader = "MCP-Protocol-Version";
    public const string ExpiredHeader = "X-Session-Expired";
    public const string ExpiredReasonHeader = "X-Session-Expired-Reason";
    public const string InitializeMethod = "initialize";
    public const string InitializedNotification = "notifications/initialized";
    public const string ExpiredCode = "SESSION_EXPIRED";
    public const string NotFoundCode = "SESSION_NOT_FOUND";

    /// <summary>The largest 404 or <c>initialize</c> JSON body read.</summary>
    private const int MaxJsonBody = 1024 * 1024;

    private const int MaxSessionIdLength = 1024;

    /// <summary>The value of the one <c>Mcp-Session-Id</c> header, or null when it is absent or repeated.</summary>
    public static string? GetSessionId(HttpHeaders headers)
    {
        if (!headers.TryGetValues(SessionIdHeader, out IEnumerable<string>? values))
        {
            return null;
        }

        string? single = null;
        foreach (string value in values)
        {
            if (single is not null)
            {
                return null;
            }

            single = value;
        }

        return string.IsNullOrEmpty(single) ? null : single;
    }

    /// <summary>Replaces the <c>Mcp-Session-Id</c> header.</summary>
    public static void SetSessionId(HttpHeaders headers, string sessionId)
    {
        headers.Remove(SessionIdHeader);
        headers.TryAddWithoutValidation(SessionIdHeader, sessionId);
    }

    /// <summary>Whether a server-issued id is one the handler can send back: visible ASCII, bounded length.</summary>
    public static bool IsUsableSessionId(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxSessionIdLength)
        {
            return false;
        }

        foreach (char c in id)
        {
            if (c is < (char)0x21 or > (char)0x7E)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The <c>method</c> of a JSON-RPC message body, or null (not a JSON object, no method, not JSON).</summary>
    public static string? ReadMethod(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isMethod = reader.ValueTextEquals("method"u8);
                if (!reader.Read())
                {
                    return null;
                }

                if (isMethod)
                {
                    return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    /// <summary>
    /// Reads what a 404 says: Limps's <c>X-Session-Expired</c> headers, or the <c>code</c> of its body (plain or inside a
    /// JSON-RPC error's <c>data</c>); anything else is a plain 404. The body is buffered, so the caller can still read it.
    /// </summary>
    public static async Task<SessionLoss> ClassifyNotFoundAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string? headerReason = FirstValue(response.Headers, ExpiredReasonHeader);
        bool expiredHeader = string.Equals(FirstValue(response.Headers, ExpiredHeader), "true", StringComparison.OrdinalIgnoreCase);

        (string? code, string? bodyReason) = await ReadErrorCodeAsync(response.Content, cancellationToken).ConfigureAwait(false);
        if (expiredHeader || string.Equals(code, ExpiredCode, StringComparison.Ordinal))
        {
            return new SessionLoss(SessionLossReason.Expired, headerReason ?? bodyReason);
        }

        return string.Equals(code, NotFoundCode, StringComparison.Ordinal)
            ? new SessionLoss(SessionLossReason.NotFound, null)
            : new SessionLoss(SessionLossReason.PlainNotFound, null);
    }

    /// <summary>
    /// Reads the answer to an <c>initialize</c> (a JSON body or an SSE stream) up to the JSON-RPC response, and returns
    /// whether it is a result and the protocol version it carries.
    /// </summary>
    public static async Task<(bool IsResult, string? ProtocolVersion)> ReadInitializeResultAsync(
        HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string? mediaType = response.Content.Headers.ContentType?.MediaType;
        if (string.Equals(mediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            Stream stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                await foreach (SseItem<string> item in SseParser.Create(stream).EnumerateAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (TryReadResponse(item.Data, out bool isResult, out string? version))
                    {
                        return (isResult, version);
                    }
                }
            }

            return (false, null);
        }

        await response.Content.LoadIntoBufferAsync(MaxJsonBody, cancellationToken).ConfigureAwait(false);
        string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return TryReadResponse(body, out bool result, out string? protocolVersion) ? (result, protocolVersion) : (false, null);
    }

    /// <summary>Whether a JSON text is a JSON-RPC response (result or error), and if a result, its protocol version.</summary>
    private static bool TryReadResponse(string? json, out bool isResult, out string? protocolVersion)
    {
        isResult = false;
        protocolVersion = null;
        if (string.IsNullOrWhiteSpace(json))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            if (root.TryGetProperty("result", out JsonElement result))
            {
                isResult = true;
                if (result.ValueKind == JsonValueKind.Object &&
                    result.TryGetProperty("protocolVersion", out JsonElement version) &&
                    version.ValueKind == JsonValueKind.String)
                {
                    protocolVersion = version.GetString();
                }

                return true;
            }

            return root.TryGetProperty("error", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static async Task<(string? Code, string? Reason)> ReadErrorCodeAsync(HttpContent content, CancellationToken cancellationToken)
    {
        string? mediaType = content.Headers.ContentType?.MediaType;
        if (mediaType is null || !mediaType.Contains("json", StringComparison.OrdinalIgnoreCase) ||
            content.Headers.ContentLength > MaxJsonBody)
        {
            return (null, null);
        }

        try
        {
            await content.LoadIntoBufferAsync(MaxJsonBody, cancellationToken).ConfigureAwait(false);
            byte[] bytes = await content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            using var document = JsonDocument.Parse(bytes);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }

            // {"code":"SESSION_EXPIRED","reason":...} or {"jsonrpc":"2.0","error":{"code":-32001,"data":{"code":...}}}
            if (root.TryGetProperty("error", out JsonElement error) && error.ValueKind == JsonValueKind.Object &&
                error.TryGetProperty("data", out JsonElement data) && data.ValueKind == JsonValueKind.Object)
            {
                root = data;
            }

            return (StringProperty(root, "code"), StringProperty(root, "reason"));
        }
        catch (Exception ex) when (ex is JsonException or HttpRequestException or InvalidOperationException)
        {
            return (null, null);
        }
    }

    private static string? StringProperty(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string? FirstValue(HttpHeaders headers, string name) =>
        headers.TryGetValues(name, out IEnumerable<string>? values) ? values.FirstOrDefault() : null;
}
