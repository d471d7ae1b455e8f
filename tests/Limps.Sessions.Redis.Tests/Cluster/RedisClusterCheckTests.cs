using Microsoft.Extensions.Logging.Testing;
using StackExchange.Redis;

namespace Limps.Sessions.Redis.Tests.Cluster;

/// <summary>A cluster with the session space in one shard works, but gains nothing: start-up says so, and only then.</summary>
public class RedisClusterCheckTests
{
    [Test]
    public async Task One_shard_on_a_cluster_is_warned_about_at_start_up()
    {
        (await WarningsAsync(RedisTestCluster.Connection, shards: 1)).Should().ContainSingle()
            .Which.Message.Should().Contain("ShardCount");
    }

    [Test]
    public async Task Several_shards_on_a_cluster_and_one_shard_on_a_single_node_are_not()
    {
        (await WarningsAsync(RedisTestCluster.Connection, shards: 16)).Should().BeEmpty();
        (await WarningsAsync(RedisTestServer.Connection, shards: 1)).Should().BeEmpty();
    }

    private static async Task<IReadOnlyList<FakeLogRecord>> WarningsAsync(IConnectionMultiplexer connection, int shards)
    {
        using var registry = new RedisSessionRegistry(
            connection,
            new LimpsSessionsOptions(),
            new RedisSessionStoreOptions { KeyPrefix = RedisTestServer.NewPrefix(), ShardCount = shards },
            NodaTime.SystemClock.Instance);
        var logger = new FakeLogger<RedisClusterCheck>();
        await new RedisClusterCheck(registry, logger).StartAsync(CancellationToken.None);
        return [.. logger.Collector.GetSnapshot().Where(record => record.Id.Id == 215)];
    }
}
