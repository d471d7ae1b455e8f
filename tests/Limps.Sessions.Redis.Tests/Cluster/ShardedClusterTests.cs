using System.Collections.Concurrent;
using NodaTime;
using NodaTime.Testing;
using Limps.Sessions.Redis.Tests.Infrastructure;
using StackExchange.Redis;

namespace Limps.Sessions.Redis.Tests.Cluster;

/// <summary>
/// The session space split into shards on a real Redis Cluster: the shards spread over the three masters, every
/// operation keeps to one slot, sweeps, counts and end-all visit every shard, each session still ends exactly once with
/// the first reason across replicas, and the capacities (per shard) never let a total run past its limit.
/// </summary>
[CancelAfter(120_000)]
public class ShardedClusterTests
{
    private const int Shards = 16;
    private readonly List<IDisposable> _disposables = [];
    private string _prefix = null!;

    [SetUp]
    public void SetUp() => _prefix = RedisTestServer.NewPrefix();

    [TearDown]
    public void TearDown()
    {
        foreach (IDisposable disposable in _disposables)
        {
            disposable.Dispose();
        }
    }

    [Test]
    public async Task Sessions_spread_over_every_master_and_each_lives_in_the_slot_of_its_shard()
    {
        var clock = new FakeClock(TestTime.Start);
        (RedisSessionRegistry registry, _) = Replica(clock, new LimpsSessionsOptions());
        var keys = new RedisKeys(_prefix, Shards);

        var masters = new ConcurrentDictionary<int, int>();
        var shards = new HashSet<int>();
        for (int i = 0; i < 64; i++)
        {
            SessionInfo info = await registry.CreateAsync(owner: "alice");
            int shard = keys.ShardOf(info.Id);
            shards.Add(shard);
            int master = await RedisTestCluster.Cluster.MasterOfAsync(keys.Session(info.Id));
            (await RedisTestCluster.Cluster.MasterOfAsync(keys.Deadlines(shard))).Should().Be(master, "a session and its shard's schedule share a slot");
            masters.AddOrUpdate(master, 1, (_, n) => n + 1);
            (await RedisTestCluster.Connection.GetDatabase().KeyExistsAsync(keys.Session(info.Id))).Should().BeTrue();
        }

        shards.Count.Should().BeGreaterThan(8, "64 random ids land in most of the 16 shards");
        masters.Should().HaveCount(3, "the shards' hash tags fall in every master's slot range");
        int[] tagMasters = await Task.WhenAll(Enumerable.Range(0, Shards).Select(s => RedisTestCluster.Cluster.MasterOfAsync(keys.Deadlines(s))));
        tagMasters.GroupBy(port => port).Select(g => g.Count()).Should().OnlyContain(n => n >= 5 && n <= 6, "16 shards spread 5-6-5 over three equal slot ranges");
        (await registry.CountAsync()).Should().Be(64);
        for (int shard = 0; shard < Shards; shard++)
        {
            string? slot = await RedisClusterProcess.QueryAsync(RedisTestCluster.Cluster.Ports[0], "CLUSTER", "KEYSLOT", keys.Deadlines(shard).ToString());
            slot.Should().Be(RedisShards.Slot(RedisShards.Tag(shard, Shards)).ToString(System.Globalization.CultureInfo.InvariantCulture), "the library computes the slot as Redis does");
        }
    }

    [Test]
    public async Task Sweeps_from_two_replicas_end_every_due_session_of_every_shard_exactly_once()
    {
        const int Sessions = 300;
        var clock = new FakeClock(TestTime.Start);
        var options = new LimpsSessionsOptions { MaxSessions = 10_000 };
        (RedisSessionRegistry a, RecordingObserver aObserver) = Replica(clock, options, batch: 7);
        (RedisSessionRegistry b, RecordingObserver bObserver) = Replica(clock, options, batch: 7);
        var ids = new List<SessionId>();
        for (int i = 0; i < Sessions; i++)
        {
            ids.Add((await (i % 2 == 0 ? a : b).CreateAsync()).Id);
        }

        clock.Advance(Duration.FromMinutes(20));
        SessionInfo young = await a.CreateAsync();
        clock.Advance(Duration.FromMinutes(10));
        (await a.CountAsync()).Should().Be(Sessions + 1);

        int[] ended = await Task.WhenAll(Task.Run(async () => await a.SweepAsync()), Task.Run(async () => await b.SweepAsync()));

        ended.Sum().Should().Be(Sessions, "each due session in each shard is ended by exactly one of the sweeps");
        var endedIds = aObserver.Ended.Concat(bObserver.Ended).Select(e => e.Id).ToList();
        endedIds.Should().OnlyHaveUniqueItems().And.BeEquivalentTo(ids);
        (await b.CountAsync()).Should().Be(1);
        (await a.LookupAsync(young.Id)).IsActive.Should().BeTrue();
        var ledger = new RedisExpiryLedger(RedisTestCluster.Connection, options, RedisOptions(), clock);
        (await ledger.CountAsync()).Should().Be(Sessions);
        foreach (SessionId id in ids.Take(20))
        {
            (await ledger.FindAsync(id))!.Reason.Should().Be(ExpiryReason.Timeout);
        }
    }

    [Test]
    public async Task The_first_end_wins_across_replicas_in_every_shard()
    {
        var clock = new FakeClock(TestTime.Start);
        var options = new LimpsSessionsOptions();
        (RedisSessionRegistry a, RecordingObserver aObserver) = Replica(clock, options);
        (RedisSessionRegistry b, RecordingObserver bObserver) = Replica(clock, options);
        SessionInfo[] sessions = await Task.WhenAll(Enumerable.Range(0, 48).Select(_ => a.CreateAsync().AsTask()));

        bool[][] results = await Task.WhenAll(sessions.Select(s => Task.WhenAll(
            Task.Run(async () => await a.EndAsync(s.Id, ExpiryReason.Deleted)),
            Task.Run(async () => await b.EndAsync(s.Id, ExpiryReason.Closed)))));

        results.Should().OnlyContain(pair => pair.Count(won => won) == 1);
        aObserver.Ended.Concat(bObserver.Ended).Select(e => e.Id).Should().OnlyHaveUniqueItems().And.HaveCount(48);
        for (int i = 0; i < sessions.Length; i++)
        {
            ExpiredSession onA = (await a.LookupAsync(sessions[i].Id)).Expiry;
            ExpiredSession onB = (await b.LookupAsync(sessions[i].Id)).Expiry;
            onA.Should().Be(onB);
            onA.Reason.Should().Be(results[i][0] ? ExpiryReason.Deleted : ExpiryReason.Closed);
        }

        (await a.CountAsync()).Should().Be(0);
    }

    [Test]
    public async Task EndAll_ends_the_live_sessions_of_every_shard()
    {
        var clock = new FakeClock(TestTime.Start);
        (RedisSessionRegistry registry, RecordingObserver observer) = Replica(clock, new LimpsSessionsOptions());
        SessionInfo[] sessions = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => registry.CreateAsync().AsTask()));

        (await registry.EndAllAsync(ExpiryReason.Closed)).Should().Be(40);

        (await registry.CountAsync()).Should().Be(0);
        observer.Ended.Should().HaveCount(40);
        foreach (SessionInfo session in sessions)
        {
            (await registry.LookupAsync(session.Id)).Expiry.Reason.Should().Be(ExpiryReason.Closed);
        }
    }

    [Test]
    public async Task Capacities_hold_per_shard_so_no_total_runs_past_its_limit()
    {
        var clock = new FakeClock(TestTime.Start);
        var options = new LimpsSessionsOptions { MaxSessions = 64, MaxLedgerEntries = 32 };
        (RedisSessionRegistry registry, _) = Replica(clock, options);
        var keys = new RedisKeys(_prefix, Shards);
        var created = new List<SessionId>();
        int refused = 0;
        for (int i = 0; i < 200; i++)
        {
            try
            {
                created.Add((await registry.CreateAsync()).Id);
            }
            catch (SessionCapacityExceededException error)
            {
                error.MaxSessions.Should().Be(64, "the refusal names the configured total");
                refused++;
            }
        }

        refused.Should().BeGreaterThan(0);
        created.Count.Should().BeLessThanOrEqualTo(64);
        created.GroupBy(keys.ShardOf).Should().OnlyContain(shard => shard.Count() <= 4, "each shard holds at most 64 / 16");
        (await registry.CountAsync()).Should().Be(created.Count);

        foreach (SessionId id in created)
        {
            await registry.EndAsync(id, ExpiryReason.Deleted);
            clock.Advance(Duration.FromSeconds(1));
        }

        var ledger = new RedisExpiryLedger(RedisTestCluster.Connection, options, RedisOptions(), clock);
        (await ledger.CountAsync()).Should().BeLessThanOrEqualTo(32, "each shard keeps at most 32 / 16 tombstones");
        (await ledger.FindAsync(created[^1])).Should().NotBeNull("the newest tombstone of its shard is kept");
        (await registry.CreateAsync()).Id.IsEmpty.Should().BeFalse("ending sessions freed their shards");
    }

    [Test]
    public async Task A_handle_owners_cap_is_exact_across_shards_and_replicas()
    {
        var clock = new FakeClock(TestTime.Start);
        HandleKindOptions kind = HandleStoreHarness.BasketOptions();
        kind.MaxHandlesPerOwner = 5;
        using var a = new RedisHandleStore<Basket>(RedisTestCluster.Connection, kind, Handles.HandleJsonContext.Default.Basket, RedisOptions(), clock);
        using var b = new RedisHandleStore<Basket>(RedisTestCluster.Connection, kind, Handles.HandleJsonContext.Default.Basket, RedisOptions(), clock);
        int made = 0;
        int refused = 0;
        await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(async () =>
        {
            try
            {
                await (i % 2 == 0 ? a : b).CreateAsync(Basket.Of("x"), "user:alice");
                Interlocked.Increment(ref made);
            }
            catch (HandleCapacityExceededException)
            {
                Interlocked.Increment(ref refused);
            }
        })));

        made.Should().Be(5);
        refused.Should().Be(7);
        IReadOnlyList<HandleInfo> listed = await b.ListAsync("user:alice");
        listed.Should().HaveCount(5);
        foreach (HandleInfo handle in listed)
        {
            (await a.UpdateAsync(handle.Handle, "user:alice", basket => basket.Add("y"))).Items.Should().Equal("x", "y");
        }

        await a.DestroyAsync(listed[0].Handle, "user:alice");
        (await b.CreateAsync(Basket.Empty, "user:alice")).Should().StartWith("bsk_");
        (await a.CountAsync()).Should().Be(5);
    }

    private RedisSessionStoreOptions RedisOptions(int batch = 256) =>
        new() { KeyPrefix = _prefix, ShardCount = Shards, SweepBatchSize = batch };

    private (RedisSessionRegistry Registry, RecordingObserver Observer) Replica(IClock clock, LimpsSessionsOptions options, int batch = 256)
    {
        var observer = new RecordingObserver();
        var registry = new RedisSessionRegistry(RedisTestCluster.Connection, options, RedisOptions(batch), clock, [observer]);
        _disposables.Add(registry);
        return (registry, observer);
    }
}
