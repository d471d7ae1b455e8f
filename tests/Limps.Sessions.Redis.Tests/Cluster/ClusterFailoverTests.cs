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
    private RedisClusterProcess _cluster = null!;
    private ConnectionMultiplexer _connection = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _cluster = await RedisClusterProcess.StartAsync();
        _connection = _cluster.Connect();
    }

    [TearDown]
    public async Task StopAsync()
    {
        await _connection.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    [Test]
    public async Task Requests_get_503_while_the_sessions_master_is_down_and_the_session_lives_on_after_failover()
    {
        const string Prefix = "fo:";
        var clock = new FakeClock(TestTime.Start);
        await using ReplicaHost a = await ReplicaHost.StartAsync(_connection, Prefix, clock, redis: Cluster);
        await using ReplicaHost b = await ReplicaHost.StartAsync(_connection, Prefix, clock, redis: Cluster);
        string id = await a.InitializeAsync(user: "alice");
        string bystander = await b.InitializeAsync(user: "alice");
        using (HttpResponseMessage onB = await b.CallEchoAsync(id, user: "alice"))
        {
            onB.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        var keys = new RedisKeys(Prefix, 16);
        int master = await _cluster.MasterOfAsync(keys.Session(SessionId.Parse(id)));
        int replica = (await _cluster.ReplicasOfAsync(master)).Single();
        (await Eventually.TrueAsync(() => _cluster.InSyncAsync(master, replica)))
            .Should().BeTrue("the replica has every write of its master (replication is asynchronous: see docs/REDIS.md)");

        await _cluster.KillAsync(master);

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
        (await _cluster.MasterOfAsync(keys.Session(SessionId.Parse(id)))).Should().Be(replica);

        (await Eventually.TrueAsync(async () =>
            {
                using HttpResponseMessage onA = await a.CallEchoAsync(id, "a", user: "alice");
                using HttpResponseMessage onB = await b.CallEchoAsync(id, "b", user: "alice");
                return onA.StatusCode == HttpStatusCode.OK && onB.StatusCode == HttpStatusCode.OK;
            }))
            .Should().BeTrue("both replicas serve the session after the failover");
        using (HttpResponseMessage other = await a.CallEchoAsync(bystander, user: "alice"))
        {
            other.StatusCode.Should().Be(HttpStatusCode.OK, "sessions on the other masters were never affected");
        }

        using (HttpResponseMessage deleted = await b.DeleteAsync(id, user: "alice"))
        {
            deleted.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        using HttpResponseMessage gone = await a.CallEchoAsync(id, user: "alice");
        gone.StatusCode.Should().Be(HttpStatusCode.NotFound);
        gone.Headers.GetValues(SessionHeaders.ExpiredReason).Should().Equal("deleted");
    }

    private static void Cluster(RedisSessionStoreOptions options)
    {
        options.ShardCount = 16;
        options.OperationTimeout = TimeSpan.FromMilliseconds(500);
    }
}
