using Microsoft.Extensions.Logging;

namespace Limps.Sessions.Redis;

/// <summary>Source-generated log messages of the Redis store. Ids are always masked.</summary>
internal static partial class RedisLog
{
    [LoggerMessage(EventId = 201, EventName = "SessionStarted", Level = LogLevel.Information,
        Message = "Session {SessionId} started (bound to a user: {HasOwner}).")]
    public static partial void SessionStarted(ILogger logger, string sessionId, bool hasOwner);

    [LoggerMessage(EventId = 202, EventName = "SessionEnded", Level = LogLevel.Information,
        Message = "Session {SessionId} ended: {Reason} at {ExpiredAt}.")]
    public static partial void SessionEnded(ILogger logger, string sessionId, string reason, NodaTime.Instant expiredAt);

    [LoggerMessage(EventId = 203, EventName = "SessionCapacityReached", Level = LogLevel.Warning,
        Message = "Session capacity of {MaxSessions} live sessions reached; a new session was refused.")]
    public static partial void SessionCapacityReached(ILogger logger, int maxSessions);

    [LoggerMessage(EventId = 204, EventName = "SweepCompleted", Level = LogLevel.Debug,
        Message = "Sweep ended {Ended} sessions in {Batches} scripts and pruned {Pruned} tombstones.")]
    public static partial void SweepCompleted(ILogger logger, int ended, int batches, int pruned);

    [LoggerMessage(EventId = 205, EventName = "ObserverFailed", Level = LogLevel.Error,
        Message = "A session lifecycle observer threw while handling session {SessionId}; the session's state is not affected.")]
    public static partial void ObserverFailed(ILogger logger, string sessionId, Exception exception);

    [LoggerMessage(EventId = 206, EventName = "LeaseReleaseDeferred", Level = LogLevel.Warning,
        Message = "Releasing a request lease on session {SessionId} failed; it is retried with the next heartbeat.")]
    public static partial void LeaseReleaseDeferred(ILogger logger, string sessionId, Exception exception);

    [LoggerMessage(EventId = 207, EventName = "HeartbeatFailed", Level = LogLevel.Warning,
        Message = "Renewing this replica's leases or retrying deferred writes in Redis failed; its open leases lapse if this lasts.")]
    public static partial void HeartbeatFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 208, EventName = "AnnouncementIgnored", Level = LogLevel.Debug,
        Message = "Ignored a malformed session-end announcement on the Redis channel.")]
    public static partial void AnnouncementIgnored(ILogger logger);

    [LoggerMessage(EventId = 209, EventName = "SubscribeFailed", Level = LogLevel.Warning,
        Message = "Subscribing to session-end announcements failed; retried when the connection is restored.")]
    public static partial void SubscribeFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 210, EventName = "MigrationRefused", Level = LogLevel.Warning,
        Message = "The MCP server asked to take over session {SessionId} on this replica; refused ({Why}).")]
    public static partial void MigrationRefused(ILogger logger, string sessionId, string why);

    [LoggerMessage(EventId = 211, EventName = "SessionMigrated", Level = LogLevel.Information,
        Message = "The MCP server on this replica took over session {SessionId}, created on another replica.")]
    public static partial void SessionMigrated(ILogger logger, string sessionId);

    [LoggerMessage(EventId = 212, EventName = "InitializeNotStored", Level = LogLevel.Warning,
        Message = "Keeping the MCP initialize parameters of session {SessionId} in Redis failed; other replicas cannot serve it.")]
    public static partial void InitializeNotStored(ILogger logger, string sessionId, Exception exception);

    [LoggerMessage(EventId = 213, EventName = "SweepFailed", Level = LogLevel.Error,
        Message = "A session sweep failed; the sweeper keeps its schedule.")]
    public static partial void SweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 214, EventName = "PendingWriteDropped", Level = LogLevel.Warning,
        Message = "Too many store writes wait for Redis; dropped the oldest ({Kind} on session {SessionId}). It is harmless: a lease lapses by itself, an unused session idles out.")]
    public static partial void PendingWriteDropped(ILogger logger, string sessionId, string kind);
}
