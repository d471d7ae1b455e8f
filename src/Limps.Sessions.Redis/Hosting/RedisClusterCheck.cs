using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>
/// At start-up, warns when the connection is to a Redis Cluster and the session space is in one shard: that works
/// (every key is in one hash slot), but one master then serves every session, so the cluster adds no capacity. Only
/// what the connection knows at start is checked; a cluster that cannot be reached yet is not reported.
/// </summary>
internal sealed class RedisClusterCheck(RedisSessionRegistry registry, ILogger<RedisClusterCheck> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            RedisSessionStore store = registry.Store;
            if (store.Keys.ShardCount == 1 && store.Connection.GetServers().Any(server => server.ServerType == ServerType.Cluster))
            {
                RedisLog.ClusterWithOneShard(logger);
            }
        }
        catch (Exception ex) when (RedisSessionStore.IsUnavailable(ex) || ex is RedisException)
        {
            // Not knowing is not a reason to stop the host.
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
