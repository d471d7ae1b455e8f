using Limps.Sessions.Redis.Tests.Infrastructure;
using StackExchange.Redis;

namespace Limps.Sessions.Redis.Tests.Cluster;

/// <summary>
/// Starts one Redis Cluster (three masters, three replicas, real redis-server processes) for the fixtures of this
/// namespace before the first of them and stops it (by PID) after the last. Tests share it under key prefixes of their
/// own; the failover tests, which kill a master, start a cluster of their own.
/// </summary>
[SetUpFixture]
public sealed class RedisTestCluster
{
    private static RedisClusterProcess? _cluster;
    private static ConnectionMultiplexer? _connection;

    public static RedisClusterProcess Cluster => _cluster ?? throw new InvalidOperationException("The test cluster is not running.");

    /// <summary>A connection to the shared cluster, as a host would open one.</summary>
    public static ConnectionMultiplexer Connection =>
        _connection ?? throw new InvalidOperationException("The test cluster is not running.");

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _cluster = await RedisClusterProcess.StartAsync();
        _connection = _cluster.Connect();
    }

    /// <summary>
    /// Caches every script of the store on every master, as a cluster that has served requests has them (a test that
    /// flushed the cache puts it back for the tests after it).
    /// </summary>
    /// <param name="connection">A connection to the cluster.</param>
    /// <returns>A task that completes when every master has every script.</returns>
    public static async Task LoadScriptsAsync(IConnectionMultiplexer connection)
    {
        foreach (IServer server in connection.GetServers().Where(server => !server.IsReplica))
        {
            foreach ((_, RedisScript script) in RedisScripts.All)
            {
                await server.ScriptLoadAsync(script.Text);
            }
        }
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
            _connection = null;
        }

        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
            _cluster = null;
        }
    }
}
