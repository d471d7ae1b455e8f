namespace Limps.Sessions.Redis.Tests.Cluster;

/// <summary>The shard layout of the cluster contract suites, and how its capacities are enforced.</summary>
internal static class ClusterShards
{
    public const int Count = 16;

    /// <summary>Per shard: a session or handle is in the shard its id hashes to (the store's own placement).</summary>
    public static StoreCapacity Capacity { get; } = StoreCapacity.Partitioned(Count, id => RedisShards.Of(id, Count));

    public static RedisSessionStoreOptions Options() => new() { KeyPrefix = RedisTestServer.NewPrefix(), ShardCount = Count };
}
