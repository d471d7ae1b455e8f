using NodaTime.Testing;
using StackExchange.Redis;

namespace Limps.Sessions.Redis.Tests.Cluster;

/// <summary>
/// Store behaviour the sharded contract suites found wrong, each shown by a test that fails today. They are explicit
/// (run them by name) until the store is fixed; then the attribute goes and they guard the fix.
/// </summary>
[CancelAfter(60_000)]
public class ClusterKnownIssuesTests
{
    private const int Shards = 16;

    [Test]
    [Explicit("Fails today: a release that meets NOSCRIPT is sent again after the commands that followed it.")]
    public async Task A_release_on_a_master_without_the_cached_script_still_arrives_before_the_next_command()
    {
        var clock = new FakeClock(TestTime.Start);
        var options = new LimpsSessionsOptions();
        using var registry = new RedisSessionRegistry(
            RedisTestCluster.Connection, options, new RedisSessionStoreOptions { KeyPrefix = RedisTestServer.NewPrefix(), ShardCount = Shards }, clock);
        SessionInfo session = await registry.CreateAsync();
        SessionLease lease = await registry.BeginLeaseAsync(session.Id);
        try
        {
            // As after a restart or a failover to a replica that never ran the script: every master forgets the
            // release script (and only it, so the lookup below is not delayed by a cache miss of its own).
            foreach (IServer server in RedisTestCluster.Connection.GetServers().Where(server => !server.IsReplica))
            {
                await server.ScriptFlushAsync();
                foreach ((string name, RedisScript script) in RedisScripts.All.Where(s => s.Name != "release"))
                {
                    await server.ScriptLoadAsync(script.Text);
                }
            }

            await lease.DisposeAsync();
            clock.Advance(NodaTime.Duration.FromTimeSpan(options.IdleTimeout));

            (await registry.LookupAsync(session.Id)).IsActive.Should().BeFalse(
                "the lease was released before the idle timeout passed (the release was sent first)");
        }
        finally
        {
            await RedisTestCluster.LoadScriptsAsync(RedisTestCluster.Connection);
        }
    }

    [Test]
    [Explicit("Fails today: each shard admits MaxSessions / ShardCount rounded up, so 16 shards admit 16 for a total of 3.")]
    public async Task A_MaxSessions_that_is_not_a_multiple_of_the_shard_count_is_never_exceeded()
    {
        var clock = new FakeClock(TestTime.Start);
        using var registry = new RedisSessionRegistry(
            RedisTestCluster.Connection,
            new LimpsSessionsOptions { MaxSessions = 3 },
            new RedisSessionStoreOptions { KeyPrefix = RedisTestServer.NewPrefix(), ShardCount = Shards },
            clock);
        for (int i = 0; i < 200; i++)
        {
            try
            {
                await registry.CreateAsync();
            }
            catch (SessionCapacityExceededException)
            {
            }
        }

        (await registry.CountAsync()).Should().BeLessThanOrEqualTo(3, "docs/REDIS.md: the totals are never exceeded");
    }
}
