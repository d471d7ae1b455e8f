using Microsoft.Extensions.Logging;

namespace Limps.Sessions.AspNetCore;

/// <summary>Source-generated log messages of the HTTP adapter. Ids are always masked.</summary>
internal static partial class HttpLog
{
    [LoggerMessage(EventId = 101, EventName = "InvalidSessionId", Level = LogLevel.Debug,
        Message = "Rejected a request with a malformed Mcp-Session-Id header ({Reason}).")]
    public static partial void InvalidSessionId(ILogger logger, string reason);

    [LoggerMessage(EventId = 102, EventName = "SessionOwnerMismatch", Level = LogLevel.Warning,
        Message = "A caller tried to use session {SessionId}, which is bound to another user; answered as unknown.")]
    public static partial void SessionOwnerMismatch(ILogger logger, string sessionId);

    [LoggerMessage(EventId = 103, EventName = "SessionRefusedAtCapacity", Level = LogLevel.Warning,
        Message = "A new session was refused: the session capacity is reached.")]
    public static partial void SessionRefusedAtCapacity(ILogger logger);

    [LoggerMessage(EventId = 104, EventName = "SessionRegistrationFailed", Level = LogLevel.Error,
        Message = "The MCP server issued session {SessionId} but it could not be registered.")]
    public static partial void SessionRegistrationFailed(ILogger logger, string sessionId, Exception exception);

    [LoggerMessage(EventId = 106, EventName = "SweepFailed", Level = LogLevel.Error,
        Message = "A session sweep failed; the sweeper keeps its schedule.")]
    public static partial void SweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 108, EventName = "SessionStoreUnavailable", Level = LogLevel.Error,
        Message = "The session store is unavailable; answered 503.")]
    public static partial void SessionStoreUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 107, EventName = "SessionsClosedOnShutdown", Level = LogLevel.Information,
        Message = "Ended {Count} live sessions with reason 'closed' on shutdown.")]
    public static partial void SessionsClosedOnShutdown(ILogger logger, int count);

    [LoggerMessage(EventId = 109, EventName = "McpServerWithoutIntegration", Level = LogLevel.Warning,
        Message = "The Limps session check guards the MCP endpoint {Path}, but the MCP server has no Limps integration: "
            + "with the MCP SDK's default session mode (Stateless) no session is ever issued and the check does nothing. "
            + "Write builder.Services.AddMcpServer().WithHttpTransport().WithLimpsSessions() (package Limps.Sessions.Mcp), "
            + "or set HttpServerTransportOptions.SessionMode = HttpServerSessionMode.StatefulForInitializeClients.")]
    public static partial void McpServerWithoutIntegration(ILogger logger, string path);

    [LoggerMessage(EventId = 110, EventName = "StartupCheckFailed", Level = LogLevel.Warning,
        Message = "The Limps start-up check of the endpoints could not run.")]
    public static partial void StartupCheckFailed(ILogger logger, Exception exception);
}
