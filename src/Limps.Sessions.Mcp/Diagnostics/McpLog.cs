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

    [LoggerMessage(EventId = 305, EventName = "ReleaseLoopFailed", Level = LogLevel.Error,
        Message = "The release loop of ended MCP sessions failed; it goes on with the next ones.")]
    public static partial void ReleaseLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 306, EventName = "ReleaseDropped", Level = LogLevel.Warning,
        Message = "The release queue is full; the MCP server keeps its state of ended session {SessionId} until it restarts.")]
    public static partial void ReleaseDropped(ILogger logger, string sessionId);

    [LoggerMessage(EventId = 307, EventName = "ReleaseTimedOut", Level = LogLevel.Warning,
        Message = "The MCP server did not release ended session {SessionId} within {Bound}; the next releases go on.")]
    public static partial void ReleaseTimedOut(ILogger logger, string sessionId, TimeSpan bound);

    [LoggerMessage(EventId = 308, EventName = "DrainTimedOut", Level = LogLevel.Warning,
        Message = "Requests on ended session {SessionId} still ran after {Bound}; the MCP server's state of it is released now.")]
    public static partial void DrainTimedOut(ILogger logger, string sessionId, TimeSpan bound);

    [LoggerMessage(EventId = 309, EventName = "EndpointWithoutCheck", Level = LogLevel.Warning,
        Message = "The MCP endpoint {Path} has no Limps session check, but WithLimpsSessions() on the MCP server turned the "
            + "SDK's own idle timeout off: its sessions never end. Write app.MapMcp(\"{Path}\").WithLimpsSessions().")]
    public static partial void EndpointWithoutCheck(ILogger logger, string path);

    [LoggerMessage(EventId = 310, EventName = "StatelessUnderCheck", Level = LogLevel.Warning,
        Message = "The MCP server's session mode is Stateless although the Limps session check guards its endpoint: no session "
            + "is ever issued and the check does nothing. Do not set HttpServerTransportOptions.SessionMode = Stateless "
            + "after WithLimpsSessions(); use HttpServerSessionMode.StatefulForInitializeClients (or Stateful).")]
    public static partial void StatelessUnderCheck(ILogger logger);

    [LoggerMessage(EventId = 311, EventName = "McpStartupCheckFailed", Level = LogLevel.Warning,
        Message = "The Limps start-up check of the MCP endpoints could not run.")]
    public static partial void StartupCheckFailed(ILogger logger, Exception exception);
}
