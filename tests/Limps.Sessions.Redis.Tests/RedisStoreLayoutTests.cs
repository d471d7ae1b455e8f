using Limps.Sessions.Redis.Tests.Infrastructure;
using NodaTime;
using NodaTime.Testing;
using StackExchange.Redis;
using StackExchange.Redis.Profiling;

namespace Limps.Sessions.Redis.Tests;

/// <summary>What the store keeps in Redis, for how long, and what one call costs.</summary>
[CancelAfter(60_000)]
public class RedisStoreLayoutTests
{
    private readonly List<RedisSessionRegistry> _registries = [];
    private string _prefix = null!;
    private FakeClock _clock = null!;
    private IDatabase _db = null!;

    [SetUp]
    public void SetUp()
    {
        _prefix = RedisTestServer.NewPrefix();
        _clock = new FakeClock(TestTime.Start);
        _db = RedisTestServer.Connection.GetDatabase();
    }

    [TearDown]
    public void TearDown()
    {
        foreach (RedisSessionRegistry registry in _registries)
        {
            registry.Dispose();
        }
    }

    [Test]
    public async Task A_session_is_a_hash_under_its_own_hash_tag_that_lives_until_its_deadline_plus_the_grace()
    {
        RedisSessionRegistry registry = Registry(configure: o => o.Grace = TimeSpan.FromMinutes(10));
        SessionInfo info = await registry.CreateAsync(owner: "alice");

        RedisKey key = new RedisKeys(_prefix).Session(info.Id);
        HashEntry[] fields = await _db.HashGetAllAsync(key);
        fields.Select(f => (string)f.Name!).Should().BeEquivalentTo(["c", "a", "n", "g", "o"]);
        ((long)fields.Single(f => f.Name == "a").Value).Should().Be(TestTime.Start.ToUnixTimeTicks() / 10);
        TimeSpan? ttl = await _db.KeyTimeToLiveAsync(key);
        ttl.Should().BeCloseTo(TimeSpan.FromMinutes(40), TimeSpan.FromSeconds(5));
        (await _db.SortedSetScoreAsync(new RedisKeys(_prefix).Deadlines(0), info.Id.ToString()))
            .Should().Be((TestTime.Start + TestTime.Minutes(30)).ToUnixTimeTicks() / 10);
    }

    [Test]
    public async Task A_lease_is_a_token_field_that_keeps_the_session_keys_alive_for_at_least_the_lease_lifetime()
    {
        RedisSessionRegistry registry = Registry(configure: o =>
        {
            o.LeaseHolderTimeout = TimeSpan.FromMinutes(50);
            o.Grace = TimeSpan.FromMinutes(10);
        });
        SessionInfo info = await registry.CreateAsync();
        RedisKey key = new RedisKeys(_prefix).Session(info.Id);

        SessionLease lease = await registry.BeginLeaseAsync(info.Id);
        string token = registry.HeldTokens(info.Id).Single();
        long expiresAtMs = (long)await _db.HashGetAsync(key, "l:" + token);
        expiresAtMs.Should().BeCloseTo(DateTimeOffset.UtcNow.AddMinutes(50).ToUnixTimeMilliseconds(), 10_000, "a lease lives in Redis's time");
        (await _db.HashGetAsync(key, "n")).Should().Be(1);
        (await _db.KeyTimeToLiveAsync(key)).Should().BeCloseTo(TimeSpan.FromMinutes(60), TimeSpan.FromSeconds(5),
            "the keys outlive the lease (by the grace), so a request in flight never loses its session to a TTL");

        await lease.DisposeAsync();
        (await _db.HashExistsAsync(key, "l:" + token)).Should().BeFalse();
        (await _db.KeyTimeToLiveAsync(key)).Should().BeCloseTo(TimeSpan.FromMinutes(40), TimeSpan.FromSeconds(5));
        (await _db.HashGetAsync(key, "n")).Should().Be(0);
        registry.LocalLeases.Should().Be(0);
    }

    [Test]
    public async Task The_holder_renews_its_leases_and_with_them_the_keys_and_forgets_them_once_released()
    {
        RedisSessionRegistry registry = Registry(configure: o => o.LeaseHolderTimeout = TimeSpan.FromMinutes(50));
        SessionInfo info = await registry.CreateAsync();
        RedisKey key = new RedisKeys(_prefix).Session(info.Id);
        SessionLease lease = await registry.BeginLeaseAsync(info.Id);
        string token = registry.HeldTokens(info.Id).Single();

        // As if the lease were about to lapse and the keys to expire.
        long soon = DateTimeOffset.UtcNow.AddSeconds(1).ToUnixTimeMilliseconds();
        await _db.HashSetAsync(key, "l:" + token, soon);
        await _db.KeyExpireAsync(key, TimeSpan.FromSeconds(1));
        await registry.BeatAsync();

        ((long)await _db.HashGetAsync(key, "l:" + token)).Should().BeGreaterThan(soon + TimeSpan.FromMinutes(45).Ticks / TimeSpan.TicksPerMillisecond);
        (await _db.KeyTimeToLiveAsync(key)).Should().BeCloseTo(TimeSpan.FromMinutes(60), TimeSpan.FromSeconds(5));

        await lease.DisposeAsync();
        registry.HeldTokens(info.Id).Should().BeEmpty();
        await registry.BeatAsync();
        (await _db.HashExistsAsync(key, "l:" + token)).Should().BeFalse("a released lease is not renewed back into existence");
    }

    [Test]
    public async Task An_ended_session_leaves_only_its_tombstone_which_lives_for_the_retention()
    {
        RedisSessionRegistry registry = Registry(o => o.LedgerRetention = TimeSpan.FromHours(2));
        SessionInfo info = await registry.CreateAsync();

        await registry.EndAsync(info.Id, new RevokedReason());

        (await _db.KeyExistsAsync(new RedisKeys(_prefix).Session(info.Id))).Should().BeFalse();
        RedisKey tombstone = new RedisKeys(_prefix).Tombstone(info.Id);
        (await _db.HashGetAsync(tombstone, "r")).Should().Be("revoked");
        (await _db.HashGetAsync(tombstone, "d")).Should().Be("An administrator revoked the session.");
        (await _db.KeyTimeToLiveAsync(tombstone)).Should().BeCloseTo(TimeSpan.FromHours(2), TimeSpan.FromSeconds(5));
        (await _db.SortedSetLengthAsync(new RedisKeys(_prefix).Deadlines(0))).Should().Be(0);
        (await _db.SortedSetLengthAsync(new RedisKeys(_prefix).Ledger(0))).Should().Be(1);
        IServer server = RedisTestServer.Connection.GetServer(RedisTestServer.Server.Endpoint);
        var keys = new List<string>();
        await foreach (RedisKey k in server.KeysAsync(pattern: _prefix + "*"))
        {
            keys.Add(k!);
        }

        keys.Should().BeEquivalentTo([(string)tombstone!, new RedisKeys(_prefix).Ledger(0), (new RedisKeys(_prefix).Base(0) + "ledger:seq")]);
    }

    [Test]
    public async Task A_touch_within_the_write_tolerance_writes_nothing_and_one_beyond_it_writes()
    {
        RedisSessionRegistry registry = Registry(configure: o => o.TouchWriteTolerance = TimeSpan.FromSeconds(1));
        SessionInfo info = await registry.CreateAsync();
        RedisKey key = new RedisKeys(_prefix).Session(info.Id);

        _clock.Advance(Duration.FromMilliseconds(999));
        (await registry.TouchAsync(info.Id)).Session.LastActiveAt.Should().Be(TestTime.Start, "within the tolerance nothing moves");
        ((long)await _db.HashGetAsync(key, "a")).Should().Be(TestTime.Start.ToUnixTimeTicks() / 10);

        _clock.Advance(Duration.FromMilliseconds(1));
        (await registry.TouchAsync(info.Id)).Session.LastActiveAt.Should().Be(TestTime.Start + Duration.FromSeconds(1));

        // The price of the tolerance: the recorded activity can lag the last touch by less than the tolerance.
        _clock.Advance(Duration.FromMilliseconds(500));
        await registry.TouchAsync(info.Id);
        _clock.Reset(TestTime.Start + Duration.FromSeconds(1) + TestTime.Minutes(30));
        (await registry.LookupAsync(info.Id)).Expiry.ExpiredAt.Should().Be(TestTime.Start + Duration.FromSeconds(1) + TestTime.Minutes(30));
    }

    [Test]
    public async Task With_no_write_tolerance_every_touch_is_recorded()
    {
        RedisSessionRegistry registry = Registry(configure: o => o.TouchWriteTolerance = TimeSpan.Zero);
        SessionInfo info = await registry.CreateAsync();

        _clock.Advance(Duration.FromMilliseconds(1));

        (await registry.TouchAsync(info.Id)).Session.LastActiveAt.Should().Be(TestTime.Start + Duration.FromMilliseconds(1));
    }

    [Test]
    public async Task Lookup_touch_lease_release_and_end_each_cost_one_round_trip()
    {
        using ConnectionMultiplexer connection = RedisTestServer.Connect(RedisTestServer.Server.Endpoint);
        var profiling = new ProfilingSession();
        connection.RegisterProfiler(() => profiling);
        var registry = new RedisSessionRegistry(
            connection, new LimpsSessionsOptions(), new RedisSessionStoreOptions { KeyPrefix = _prefix }, _clock);
        _registries.Add(registry);
        SessionInfo info = await registry.CreateAsync();
        await registry.TouchAsync(info.Id);
        profiling.FinishProfiling();

        for (int i = 0; i < 10; i++)
        {
            _clock.Advance(Duration.FromSeconds(2));
            await registry.TouchAsync(info.Id);
        }

        await registry.LookupAsync(info.Id);
        SessionLease lease = await registry.BeginLeaseAsync(info.Id);
        await lease.DisposeAsync();
        await registry.EndAsync(info.Id, ExpiryReason.Deleted);

        IProfiledCommand[] commands = [.. profiling.FinishProfiling()];
        commands.Should().HaveCount(14);
        commands.Should().OnlyContain(c => c.Command == "EVALSHA");
    }

    [Test]
    public async Task The_tombstone_capacity_holds_across_replicas()
    {
        var options = new LimpsSessionsOptions { MaxLedgerEntries = 10 };
        RedisSessionRegistry a = Registry(options: options);
        RedisSessionRegistry b = Registry(options: options);
        var ended = new List<SessionId>();
        for (int i = 0; i < 20; i++)
        {
            RedisSessionRegistry replica = i % 2 == 0 ? a : b;
            SessionInfo info = await replica.CreateAsync();
            await replica.EndAsync(info.Id, ExpiryReason.Deleted);
            ended.Add(info.Id);
        }

        var ledger = new RedisExpiryLedger(RedisTestServer.Connection, options, new RedisSessionStoreOptions { KeyPrefix = _prefix }, _clock);
        (await ledger.CountAsync()).Should().Be(10);
        foreach (SessionId id in ended.Take(10))
        {
            (await ledger.FindAsync(id)).Should().BeNull();
            (await _db.KeyExistsAsync(new RedisKeys(_prefix).Tombstone(id))).Should().BeFalse("trimmed tombstones are deleted, not just unindexed");
        }

        foreach (SessionId id in ended.Skip(10))
        {
            (await a.LookupAsync(id)).Expiry.Reason.Should().Be(ExpiryReason.Deleted);
        }
    }

    [Test]
    public async Task A_reason_code_the_library_does_not_know_reads_back_as_a_plain_reason_and_never_throws()
    {
        var ledger = new RedisExpiryLedger(
            RedisTestServer.Connection, new LimpsSessionsOptions(), new RedisSessionStoreOptions { KeyPrefix = _prefix }, _clock);
        SessionId quota = SessionId.New();
        SessionId garbage = SessionId.New();
        long micros = TestTime.Start.ToUnixTimeTicks() / 10;
        await _db.HashSetAsync(new RedisKeys(_prefix).Tombstone(quota), [new("r", "quota"), new("x", micros), new("a", micros)]);
        await _db.HashSetAsync(new RedisKeys(_prefix).Tombstone(garbage), [new("r", "Not A Code!"), new("x", micros), new("a", micros)]);

        ExpiryReason reason = (await ledger.FindAsync(quota))!.Reason;
        reason.Code.Should().Be("quota");
        reason.Should().Be(ExpiryReason.FromCode("quota"));
        (await ledger.FindAsync(garbage))!.Reason.Code.Should().Be("unknown");
    }

    [Test]
    public async Task Sweeps_work_in_batches_and_a_batch_full_of_leased_sessions_does_not_stall_them()
    {
        RedisSessionRegistry registry = Registry(o => o.MaxSessions = 100, o => o.SweepBatchSize = 5);
        var leases = new List<SessionLease>();
        for (int i = 0; i < 10; i++)
        {
            SessionInfo leased = await registry.CreateAsync();
            leases.Add(await registry.BeginLeaseAsync(leased.Id));
        }

        for (int i = 0; i < 23; i++)
        {
            await registry.CreateAsync();
        }

        _clock.Advance(TestTime.Minutes(30));
        (await registry.SweepAsync()).Should().Be(23);
        (await registry.CountAsync()).Should().Be(10);
        foreach (SessionLease lease in leases)
        {
            await lease.DisposeAsync();
        }
    }

    private RedisSessionRegistry Registry(
        Action<LimpsSessionsOptions>? configureOptions = null,
        Action<RedisSessionStoreOptions>? configure = null,
        LimpsSessionsOptions? options = null)
    {
        options ??= new LimpsSessionsOptions();
        configureOptions?.Invoke(options);
        var redisOptions = new RedisSessionStoreOptions { KeyPrefix = _prefix };
        configure?.Invoke(redisOptions);
        var registry = new RedisSessionRegistry(RedisTestServer.Connection, options, redisOptions, _clock);
        _registries.Add(registry);
        return registry;
    }
}
