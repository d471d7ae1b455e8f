using System.Net;
using Limps.Sessions.AspNetCore;
using Limps.Sessions.Redis.Tests.Infrastructure;
using NodaTime.Testing;

namespace Limps.Sessions.Redis.Tests.Cluster;

/// <summary>
/// Two replicas of the sample MCP host sharing sessions through the Redis Cluster, with the session space in 16 shards
/// over its three masters: sessions created on either are served by both, and ends read the same on both.
/// </summary>
[CancelAfter(60_000)]
public class ClusterTwoReplicaHttpTests
{
    private string _prefix = null!;
    private FakeClock _clock = null!;
    private ReplicaHost _a = null!;
    private ReplicaHost _b = null!;

    [SetUp]
    public async Task StartAsync()
    {
        string prefix = _prefix = RedisTestServer.NewPrefix();
        _clock = new FakeClock(TestTime.Start);
        _a = await ReplicaHost.StartAsync(RedisTestCluster.Connection, prefix, _clock, redis: o => o.ShardCount = 16);
        _b = await ReplicaHost.StartAsync(RedisTestCluster.Connection, prefix, _clock, redis: o => o.ShardCount = 16);
    }

    [TearDown]
    public async Task StopAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    [Test]
    public async Task Sessions_created_on_either_replica_are_served_by_both_across_the_masters()
    {
        var keys = new RedisKeys(_prefix, 16);
        var masters = new HashSet<int>();
        var ids = new List<string>();
        for (int i = 0; i < 12; i++)
        {
            string id = await (i % 2 == 0 ? _a : _b).InitializeAsync(user: "alice");
            ids.Add(id);
            masters.Add(await RedisTestCluster.Cluster.MasterOfAsync(keys.Session(SessionId.Parse(id))));
        }

        foreach (string id in ids)
        {
            using HttpResponseMessage onA = await _a.CallEchoAsync(id, "a", user: "alice");
            using HttpResponseMessage onB = await _b.CallEchoAsync(id, "b", user: "alice");
            onA.StatusCode.Should().Be(HttpStatusCode.OK);
            onB.StatusCode.Should().Be(HttpStatusCode.OK);
            using HttpResponseMessage foreign = await _b.CallEchoAsync(id, "m", user: "mallory");
            foreign.StatusCode.Should().Be(HttpStatusCode.NotFound, "another user's session reads as unknown on the cluster too");
        }

        masters.Count.Should().BeGreaterThan(1, "12 sessions in 16 shards land on more than one master");
        (await _a.Registry.CountAsync()).Should().Be(12);
    }

    [Test]
    public async Task A_DELETE_on_one_replica_and_a_timeout_swept_by_the_other_read_the_same_on_both()
    {
        string deleted = await _a.InitializeAsync();
        string idle = await _b.InitializeAsync();
        using (HttpResponseMessage response = await _b.DeleteAsync(deleted))
        {
            response.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        _clock.Advance(NodaTime.Duration.FromMinutes(31));
        _a.TickSweeper();
        (await Eventually.TrueAsync(async () => await _b.Ledger.FindAsync(SessionId.Parse(idle)) is not null))
            .Should().BeTrue("A's sweep visits every shard and ends the idle session");

        foreach (ReplicaHost host in new[] { _a, _b })
        {
            using HttpResponseMessage onDeleted = await host.CallEchoAsync(deleted);
            onDeleted.StatusCode.Should().Be(HttpStatusCode.NotFound);
            onDeleted.Headers.GetValues(SessionHeaders.ExpiredReason).Should().Equal("deleted");
            using HttpResponseMessage onIdle = await host.CallEchoAsync(idle);
            onIdle.StatusCode.Should().Be(HttpStatusCode.NotFound);
            onIdle.Headers.GetValues(SessionHeaders.ExpiredReason).Should().Equal("timeout");
        }

        (await Eventually.TrueAsync(() => Task.FromResult(_a.SdkClosed(deleted) && _b.SdkClosed(idle))))
            .Should().BeTrue("ends are announced to every replica through the cluster");
    }
}
