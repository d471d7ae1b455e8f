namespace Limps.Sessions.Redis;

/// <summary>A request lease held in Redis on one incarnation of a session, by this replica.</summary>
internal sealed class RedisSessionLease(RedisSessionRegistry registry, SessionId id, string incarnation, SessionLookup lookup)
    : SessionLease(lookup)
{
    protected override ValueTask ReleaseAsync() => registry.ReleaseLeaseAsync(id, incarnation);
}
