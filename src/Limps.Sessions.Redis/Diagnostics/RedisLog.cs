using Microsoft.Extensions.Logging;

namespace Limps.Sessions.Redis;

/// <summary>
/// Source-generated log events of the Redis store only (ids from 200 up); the events every store shares (started,
/// ended, capacity, sweep, observer failures) are written by <see cref="SessionTelemetry"/>. Ids are always masked.
/// </summary>
internal static partial class RedisLog
{
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

    [LoggerMessage(EventId = 213, EventName = "SweepFailed", Level = LogLevel.Error,
        Message = "A session sweep failed; the sweeper keeps its schedule.")]
    public static partial void SweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 214, EventName = "PendingWriteDropped", Level = LogLevel.Warning,
        Message = "Too many store writes wait for Redis; dropped the oldest ({Kind} on session {SessionId}). It is harmless: a lease lapses by itself, an unused session idles out.")]
    public static partial void PendingWriteDropped(ILogger logger, string sessionId, string kind);

    [LoggerMessage(EventId = 215, EventName = "ClusterWithOneShard", Level = LogLevel.Warning,
        Message = "Redis is a cluster and Limps:Sessions:Redis:ShardCount is 1: every session is in one hash slot, served by one master. Set ShardCount (for example 16, the same on every replica) to spread them over the masters.")]
    public static partial void ClusterWithOneShard(ILogger logger);

    // Handle events keep the ids and names of the in-memory handle store's, so one filter finds both.
    [LoggerMessage(EventId = 40, EventName = "HandleOwnerMismatch", Level = LogLevel.Warning,
        Message = "A {Kind} handle {Handle} was used by a caller other than its owner; it was answered as unknown and not touched.")]
    public static partial void HandleOwnerMismatch(ILogger logger, string kind, string handle);

    [LoggerMessage(EventId = 41, EventName = "HandleCapacityReached", Level = LogLevel.Warning,
        Message = "The {Kind} handle capacity of {Limit} (per owner: {PerOwner}) is reached; a new handle was refused.")]
    public static partial void HandleCapacityReached(ILogger logger, string kind, int limit, bool perOwner);
}
