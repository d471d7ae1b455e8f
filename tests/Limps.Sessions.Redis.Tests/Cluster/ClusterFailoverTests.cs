using System.Net;
using Limps.Sessions.AspNetCore;
using Limps.Sessions.Redis.Tests.Infrastructure;
using NodaTime.Testing;
using StackExchange.Redis;

namespace Limps.Sessions.Redis.Tests.Cluster;

/// <summary>
/// The master that serves a live session's slot is killed (its process, by PID) while two replicas of the host keep
/// sending requests: until the cluster has promoted that master's replica they answer 503 (so clients keep the session
/// id), never 404; after the failover the session is there, on both replicas, and usable to its end. The cluster here is
/// this fixture's own, since the test breaks one of its masters.
/// </summary>
[CancelAfter(120_000)]
public class ClusterFailoverTests
{
    private RedisClusterProcess? _cluster;
    private ConnectionMultiplexer? _connection;

    [TearDown]
    public async Task StopAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    [Test]
    public async Task Requests_get_503_while_the_sessions_master_is_down_and_the_session_lives_on_after_failover()
    {
        const string Prefix = "fo:";
        (RedisClusterProcess cluster, ConnectionMultiplexer connection) = await StartClusterAsync(requireFullCoverage: true);
        var clock = new FakeClock(TestTime.Start);
        await using ReplicaHost a = await ReplicaHost.StartAsync(connection, Prefix, clock, redis: Cluster);
        await using ReplicaHost b = await ReplicaHost.StartAsync(connection, Prefix, clock, redis: Cluster);
        string id = await a.InitializeAsync(user: "alice");
        string bystander = await b.InitializeAsync(user: "alice");
        using (HttpResponseMessage onB = await b.CallEchoAsync(id, user: "alice"))
        {
            onB.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        var keys = new RedisKeys(Prefix, 16);
        int master = await cluster.MasterOfAsync(keys.Session(SessionId.Parse(id)));
        int replica = await cluster.ReplicaOfAsync(master);
        (await Eventually.TrueAsync(() => cluster.InSyncAsync(master, replica)))
            .Should().BeTrue("the replica has every write of its master (replication is asynchronous: see docs/REDIS.md)");

        await cluster.KillAsync(master);

        var statuses = new List<HttpStatusCode>();
        bool forced = false;
        var started = System.Diagnostics.Stopwatch.StartNew();
        bool back = await Eventually.TrueAsync(
            async () =>
            {
                foreach (ReplicaHost host in new[] { a, b })
                {
                    using HttpResponseMessage response = await host.CallEchoAsync(id, user: "alice");
                    statuses.Add(response.StatusCode);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        return true;
                    }
                }

                if (!forced && started.Elapsed > TimeSpan.FromSeconds(10))
                {
                    // Automatic failover takes about two node timeouts; on a busy machine it can take longer, so the
                    // replica is told to take over (as an operator would).
                    forced = true;
                    await RedisClusterProcess.QueryAsync(replica, "CLUSTER", "FAILOVER", "FORCE");
                }

                return false;
            },
            TimeSpan.FromSeconds(60));

        TestContext.Out.WriteLine(
            $"Back after {started.Elapsed.TotalSeconds:F1} s ({(forced ? "forced" : "automatic")} failover): "
            + $"{statuses.Count(s => s == HttpStatusCode.ServiceUnavailable)} answers 503, then 200.");
        back.Should().BeTrue("the replica is promoted and the clients find it by themselves");
        statuses.Should().Contain(HttpStatusCode.ServiceUnavailable, "requests sent while the master was down were answered 503");
        statuses.Should().OnlyContain(
            status => status == HttpStatusCode.OK || status == HttpStatusCode.ServiceUnavailable,
            "a live session is never answered 404 because its master is down");
        (await cluster.MasterOfAsync(keys.Session(SessionId.Parse(id)))).Should().Be(replica);

        (await Eventually.TrueAsync(async () =>
            {
                using HttpResponseMessage onA = await a.CallEchoAsync(id, "a", user: "alice");
                using HttpResponseMessage onB = await b.CallEchoAsync(id, "b", user: "alice");
                return onA.StatusCode == HttpStatusCode.OK && onB.StatusCode == HttpStatusCode.OK;
            }))
            .Should().BeTrue("both replicas serve the session after the failover");
        // Every node answers CLUSTERDOWN until it has heard of the promotion, so the other session is polled for too.
        (await Eventually.TrueAsync(async () =>
            {
                using HttpResponseMessage other = await a.CallEchoAsync(bystander, user: "alice");
                return other.StatusCode == HttpStatusCode.OK;
            }))
            .Should().BeTrue("the other session is served after the failover too");

        using (HttpResponseMessage deleted = await b.DeleteAsync(id, user: "alice"))
        {
            deleted.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        using HttpResponseMessage gone = await a.CallEchoAsync(id, user: "alice");
        gone.StatusCode.Should().Be(HttpStatusCode.NotFound);
        gone.Headers.GetValues(SessionHeaders.ExpiredReason).Should().Equal("deleted");
    }

    [Test]
    public async Task A_sweep_while_a_master_is_down_still_ends_the_due_sessions_of_every_other_shard()
    {
        // Without full coverage required, the other masters serve their slots while one is down (Redis's default
        // refuses every slot from when the master is marked failed until its replica is promoted).
        (RedisClusterProcess cluster, ConnectionMultiplexer connection) = await StartClusterAsync(requireFullCoverage: false);
        var clock = new FakeClock(TestTime.Start);
        var options = new LimpsSessionsOptions();
        var redisOptions = new RedisSessionStoreOptions { KeyPrefix = "sw:" };
        Cluster(redisOptions);
        var keys = new RedisKeys(redisOptions.KeyPrefix, redisOptions.ShardCount);
        var observer = new RecordingObserver();
        using var registry = new RedisSessionRegistry(connection, options, redisOptions, clock, [observer]);
        SessionInfo[] sessions = await Task.WhenAll(Enumerable.Range(0, 60).Select(_ => registry.CreateAsync().AsTask()));
        int[] masters = await Task.WhenAll(sessions.Select(s => cluster.MasterOfAsync(keys.Session(s.Id))));
        // The master of the first shard a sweep visits: a sweep that stopped at the first failure would end nothing.
        int master = await cluster.MasterOfAsync(keys.Deadlines(0));
        int replica = await cluster.ReplicaOfAsync(master);
        (await Eventually.TrueAsync(() => cluster.InSyncAsync(master, replica))).Should().BeTrue();
        clock.Advance(NodaTime.Duration.FromMinutes(31));

        await cluster.KillAsync(master);
        await FluentActions.Awaiting(async () => await registry.SweepAsync())
            .Should().ThrowAsync<SessionStoreUnavailableException>("the dead master's shards could not be swept");

        SessionId[] elsewhere = [.. sessions.Where((_, i) => masters[i] != master).Select(s => s.Id)];
        elsewhere.Should().NotBeEmpty();
        // (A shard of the dead master may be swept too, late in the sweep, if its replica was promoted by then.)
        observer.Ended.Select(e => e.Id).Should().Contain(elsewhere, "every shard on the other masters was swept all the same")
            .And.OnlyHaveUniqueItems();

        (await Eventually.TrueAsync(
                async () =>
                {
                    try
                    {
                        await registry.SweepAsync();
                        return true;
                    }
                    catch (SessionStoreUnavailableException)
                    {
                        return false;
                    }
                },
                TimeSpan.FromSeconds(60)))
            .Should().BeTrue("once the replica is promoted, the sweep reaches every shard again");
        observer.Ended.Select(e => e.Id).Should().BeEquivalentTo(sessions.Select(s => s.Id), "the rest ended after the failover, each once");
        (await registry.CountAsync()).Should().Be(0);
    }

    private async Task<(RedisClusterProcess, ConnectionMultiplexer)> StartClusterAsync(bool requireFullCoverage)
    {
        _cluster = await RedisClusterProcess.StartAsync(requireFullCoverage);
        _connection = _cluster.Connect();
        return (_cluster, _connection);
    }

    private static void Cluster(RedisSessionStoreOptions options)
    {
        options.ShardCount = 16;
        options.OperationTimeout = TimeSpan.FromMilliseconds(500);
    }
}
