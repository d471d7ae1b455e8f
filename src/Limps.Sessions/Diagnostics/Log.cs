using Microsoft.Extensions.Logging;

namespace Limps.Sessions;

/// <summary>
/// Source-generated log events shared by every session store (through <see cref="SessionTelemetry"/>), so each event
/// has one id whichever store wrote it. Ids are always masked. Store-specific events use ids from 200 up, the HTTP
/// adapter from 100 up.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, EventName = "SessionStarted", Level = LogLevel.Information,
        Message = "Session {SessionId} started (bound to a user: {HasOwner}).")]
    public static partial void SessionStarted(ILogger logger, string sessionId, bool hasOwner);

    [LoggerMessage(EventId = 2, EventName = "SessionEnded", Level = LogLevel.Information,
        Message = "Session {SessionId} ended: {Reason} at {ExpiredAt}.")]
    public static partial void SessionEnded(ILogger logger, string sessionId, string reason, string expiredAt);

    [LoggerMessage(EventId = 3, EventName = "SessionCapacityReached", Level = LogLevel.Warning,
        Message = "Session capacity of {MaxSessions} live sessions reached; a new session was refused.")]
    public static partial void SessionCapacityReached(ILogger logger, int maxSessions);

    [LoggerMessage(EventId = 4, EventName = "SweepCompleted", Level = LogLevel.Debug,
        Message = "Sweep ended {Ended} sessions and pruned {Pruned} tombstones.")]
    public static partial void SweepCompleted(ILogger logger, int ended, int pruned);

    [LoggerMessage(EventId = 5, EventName = "ObserverFailed", Level = LogLevel.Error,
        Message = "A session lifecycle observer threw while handling session {SessionId}; the session's state is not affected.")]
    public static partial void ObserverFailed(ILogger logger, string sessionId, Exception exception);
}
