namespace Limps.Sessions.Redis;

/// <summary>A request lease held in Redis under its own token, by this replica.</summary>
internal sealed class RedisSessionLease(RedisSessionRegistry registry, SessionId id, string token, SessionLookup lookup)
    : SessionLease(lookup)
{
    public SessionId Id => id;

    public string Token => token;

    protected override ValueTask ReleaseAsync() => registry.ReleaseLeaseAsync(this);
}
