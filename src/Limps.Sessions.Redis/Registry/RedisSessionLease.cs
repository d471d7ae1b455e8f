using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>A request lease held in Redis under its own token, by this replica.</summary>
/// <remarks>It keeps its session's key, so the release does not build it again.</remarks>
internal sealed class RedisSessionLease(RedisSessionRegistry registry, SessionId id, string token, RedisKey key, SessionLookup lookup)
    : SessionLease(lookup)
{
    public RedisSessionRegistry Registry => registry;

    public SessionId Id => id;

    public string Token => token;

    public RedisKey Key => key;

    /// <summary>Gets or sets the arguments of the release while it is on its way (they go back to their pool after).</summary>
    public RedisValue[]? Sent { get; set; }

    protected override ValueTask ReleaseAsync() => registry.ReleaseLeaseAsync(this);
}
