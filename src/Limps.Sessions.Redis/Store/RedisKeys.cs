using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>
/// Key names. A session's own keys (its leases included) share the hash tag <c>{id}</c>, so they live in one Redis
/// Cluster slot; the schedule and the tombstone index are global keys (see docs/REDIS.md for what that means for
/// Cluster).
/// </summary>
internal sealed class RedisKeys(string prefix)
{
    public string Prefix { get; } = prefix;

    public RedisKey Deadlines { get; } = prefix + "deadlines";

    public RedisKey Ledger { get; } = prefix + "ledger";

    public RedisChannel EndedChannel { get; } = RedisChannel.Literal(prefix + "ended");

    public RedisKey Session(SessionId id) => $"{Prefix}{{{id}}}:s";

    public RedisKey Tombstone(SessionId id) => $"{Prefix}{{{id}}}:t";

    /// <summary>The index of one owner's live handles (handle stores only).</summary>
    public RedisKey Owned(string owner) => Prefix + "own:" + owner;
}
