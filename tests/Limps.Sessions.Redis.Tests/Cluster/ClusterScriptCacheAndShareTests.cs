using NodaTime.Testing;
using StackExchange.Redis;

namespace Limps.Sessions.Redis.Tests.Cluster;

/// <summary>
/// Two things the sharded contract suites found, fixed: a release that nobody waits for must not meet a cold script
/// cache (it would be sent again after the calls that followed it), and the shards' capacities add up to the total.
/// </summary>
[CancelAfter(60_000)]
public class ClusterScriptCacheAndShareTests
{
    private const int Shards = 16;

    [Test]
    public async Task After_the_masters_forgot_every_script_a_release_still_arrives_before_the_next_call()
    {
        var clock = new FakeClock(TestTime.Start);
        var options = new LimpsSessionsOptions();
        using var registry = new RedisSessionRegistry(
            RedisTestCluster.Connection, options, new RedisSessionStoreOptions { KeyPrefix = RedisTestServer.NewPrefix(), ShardCount = Shards }, clock);
        try
        {
            // As after a restart: every master has lost its scripts. The first call to miss loads all of them, so the
            // release below (sent without waiting) finds its script and goes in order with the look-up after it.
            foreach (IServer server in RedisTestCluster.Connection.GetServers().Where(server => !server.IsReplica))
            {
                await server.ScriptFlushAsync();
            }

            SessionInfo session = await registry.CreateAsync();
            SessionLease lease = await registry.BeginLeaseAsync(session.Id);
            await lease.DisposeAsync();
            clock.Advance(NodaTime.Duration.FromTimeSpan(options.IdleTimeout));

            (await registry.LookupAsync(session.Id)).Expiry.Reason.Should().Be(
                ExpiryReason.Timeout, "the lease was released before the idle timeout passed (the release was sent first)");
        }
        finally
        {
            await RedisTestCluster.LoadScriptsAsync(RedisTestCluster.Connection);
        }
    }

    [Test]
    public async Task A_MaxSessions_that_is_not_a_multiple_of_the_shard_count_is_held_exactly()
    {
        var clock = new FakeClock(TestTime.Start);
        using var registry = new RedisSessionRegistry(
            RedisTestCluster.Connection,
            new LimpsSessionsOptions { MaxSessions = 20 },
            new RedisSessionStoreOptions { KeyPrefix = RedisTestServer.NewPrefix(), ShardCount = Shards },
            clock);
        int refused = 0;
        for (int i = 0; i < 400; i++)
        {
            try
            {
                await registry.CreateAsync();
            }
            catch (SessionCapacityExceededException)
            {
                refused++;
            }
        }

        // Four shards hold two sessions and twelve hold one: 400 random ids fill every share, and not one more.
        (await registry.CountAsync()).Should().Be(20);
        refused.Should().Be(380);
    }

    [Test]
    public void Fewer_sessions_than_shards_stops_start_up_naming_both_settings()
    {
        Action create = () => new RedisSessionRegistry(
            RedisTestCluster.Connection,
            new LimpsSessionsOptions { MaxSessions = 3 },
            new RedisSessionStoreOptions { KeyPrefix = RedisTestServer.NewPrefix(), ShardCount = Shards },
            new FakeClock(TestTime.Start)).Dispose();

        create.Should().Throw<ArgumentException>()
            .WithMessage("MaxSessions (or a handle kind's MaxHandles) is 3, fewer than Limps:Sessions:Redis:ShardCount (16)*Set Limps:Sessions:Redis:ShardCount to 3 or less, or the capacity to 16 or more.");
    }
}
