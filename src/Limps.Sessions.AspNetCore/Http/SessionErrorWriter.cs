using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using NodaTime;

namespace Limps.Sessions.AspNetCore;

/// <summary>
/// Writes the adapter's error answers: status, headers and a JSON body with a fixed property order, either as a
/// plain object or inside a JSON-RPC error envelope.
/// </summary>
internal sealed class SessionErrorWriter(IOptions<LimpsSessionsHttpOptions> options)
{
    public const string ExpiredCode = "SESSION_EXPIRED";
    public const string NotFoundCode = "SESSION_NOT_FOUND";
    public const string InvalidCode = "INVALID_SESSION_ID";
    public const string CapacityCode = "SESSION_CAPACITY_REACHED";
    public const string StoreUnavailableCode = "SESSION_STORE_UNAVAILABLE";

    private const int JsonRpcSessionErrorCode = -32001;
    private const int JsonRpcInvalidRequestCode = -32600;
    private const int JsonRpcServerErrorCode = -32000;
    private const string NotFoundMessage =
        "Session ID not recognized. It may have been invalid or the server was restarted.";

    private readonly LimpsSessionsHttpOptions _options = options.Value;

    /// <summary>Formats an instant as ISO-8601 UTC with milliseconds, for example <c>2026-02-11T10:30:00.000Z</c>.</summary>
    public static string FormatInstant(Instant instant) => SessionTelemetry.FormatInstant(instant);

    public static string ExpiredMessage(ExpiryReason reason) =>
        $"Session expired due to {reason.Code}. Please reconnect without session ID.";

    public Task WriteExpiredAsync(HttpContext context, ExpiredSession expired)
    {
        context.Response.Headers[SessionHeaders.Expired] = "true";
        context.Response.Headers[SessionHeaders.ExpiredReason] = expired.Reason.Code;
        return WriteAsync(context, StatusCodes.Status404NotFound, JsonRpcSessionErrorCode, "Session expired",
            ExpiredCode, ExpiredMessage(expired.Reason), writer =>
            {
                writer.WriteString("expiredAt", FormatInstant(expired.ExpiredAt));
                writer.WriteString("reason", expired.Reason.Code);
                if (_options.IncludeReasonDescription)
                {
                    writer.WriteString("description", expired.Reason.Description);
                }
            });
    }

    public Task WriteNotFoundAsync(HttpContext context) =>
        WriteAsync(context, StatusCodes.Status404NotFound, JsonRpcSessionErrorCode, "Session not found",
            NotFoundCode, NotFoundMessage, extra: null);

    public Task WriteInvalidAsync(HttpContext context) =>
        WriteAsync(context, StatusCodes.Status400BadRequest, JsonRpcInvalidRequestCode, "Invalid session ID",
            InvalidCode,
            $"The {SessionHeaders.SessionId} header must be one value of 1 to {SessionId.MaxLength} visible ASCII characters.",
            extra: null);

    public Task WriteCapacityAsync(HttpContext context) =>
        WriteUnavailableAsync(context, "Session capacity reached", CapacityCode,
            "The server cannot start another session now. Retry later.");

    public Task WriteStoreUnavailableAsync(HttpContext context) =>
        WriteUnavailableAsync(context, "Session store unavailable", StoreUnavailableCode,
            "The server cannot check sessions right now. Keep the session ID and retry later.");

    private Task WriteUnavailableAsync(HttpContext context, string error, string code, string message)
    {
        int seconds = (int)Math.Ceiling(_options.RetryAfter.TotalSeconds);
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return WriteAsync(context, StatusCodes.Status503ServiceUnavailable, JsonRpcServerErrorCode, error, code, message, extra: null);
    }

    private async Task WriteAsync(
        HttpContext context,
        int status,
        int jsonRpcCode,
        string error,
        string code,
        string message,
        Action<Utf8JsonWriter>? extra)
    {
        HttpResponse response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        using var buffer = new MemoryStream(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (_options.UseJsonRpcErrors)
            {
                writer.WriteString("jsonrpc", "2.0");
                writer.WriteNull("id");
                writer.WriteStartObject("error");
                writer.WriteNumber("code", jsonRpcCode);
                writer.WriteString("message", message);
                writer.WriteStartObject("data");
            }

            writer.WriteString("error", error);
            writer.WriteString("code", code);
            writer.WriteString("message", message);
            extra?.Invoke(writer);
            writer.WriteEndObject();
            if (_options.UseJsonRpcErrors)
            {
                writer.WriteEndObject();
                writer.WriteEndObject();
            }
        }

        response.ContentLength = buffer.Length;
        await response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted)
            .ConfigureAwait(false);
    }
}
