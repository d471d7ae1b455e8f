using Microsoft.Extensions.Logging;

namespace Limps.Sessions.Mcp;

/// <summary>Source-generated log events of the MCP integration (ids from 300 up). Ids are always masked.</summary>
internal static partial class McpLog
{
    [LoggerMessage(EventId = 301, EventName = "ReleaseFailed", Level = LogLevel.Warning,
        Message = "Releasing the MCP server's state of ended session {SessionId} failed (status {StatusCode}).")]
    public static partial void ReleaseFailed(ILogger logger, string sessionId, int statusCode, Exception? exception);

    [LoggerMessage(EventId = 302, EventName = "MigrationRefused", Level = LogLevel.Warning,
        Message = "The MCP server asked to take over session {SessionId} in this process; refused ({Why}).")]
    public static partial void MigrationRefused(ILogger logger, string sessionId, string why);

    [LoggerMessage(EventId = 303, EventName = "SessionMigrated", Level = LogLevel.Information,
        Message = "The MCP server in this process took over session {SessionId}, created by another process.")]
    public static partial void SessionMigrated(ILogger logger, string sessionId);

    [LoggerMessage(EventId = 304, EventName = "InitializeNotKept", Level = LogLevel.Warning,
        Message = "The MCP initialize parameters of session {SessionId} could not be kept with it ({Why}); other processes cannot take it over.")]
    public static partial void InitializeNotKept(ILogger logger, string sessionId, string why);
}
