using Limps.Sessions.Redis.Tests.Infrastructure;
using NodaTime;
using NodaTime.Testing;
using StackExchange.Redis;

namespace Limps.Sessions.Redis.Tests;

/// <summary>
/// Several registries (replicas) on one Redis and one key prefix: one session space, one answer, exactly one end,
/// and clock skew between replicas never ends a live session early.
/// </summary>
[CancelAfter(60_000)]
public class RedisReplicaTests
{
    private readonly List<RedisSessionRegistry> _registries = [];
    private string _prefix = null!;
    private LimpsSessionsOptions _options = null!;

    [SetUp]
    public void SetUp()
    {
        _prefix = RedisTestServer.NewPrefix();
        _options = new LimpsSessionsOptions { MaxSessions = 5_000 };
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
    public async Task A_session_created_on_one_replica_is_live_on_another_with_its_owner_and_metadata()
    {
        var clock = new FakeClock(TestTime.Start);
        (RedisSessionRegistry a, _) = Replica(clock);
        (RedisSessionRegistry b, RecordingObserver bObserver) = Replica(clock);

        SessionInfo created = await a.CreateAsync(owner: "alice", metadata: new Dictionary<string, string> { ["tenant"] = "acme" });
        clock.Advance(TestTime.Minutes(5));

        SessionInfo onB = (await b.TouchAsync(created.Id)).Session;
        onB.Owner.Should().Be("alice");
        onB.Metadata["tenant"].Should().Be("acme");
        onB.LastActiveAt.Should().Be(TestTime.Start + TestTime.Minutes(5));
        (await a.LookupAsync(created.Id)).Session.LastActiveAt.Should().Be(onB.LastActiveAt);
        (await a.CountAsync()).Should().Be(1);
        (await b.CountAsync()).Should().Be(1);
        bObserver.Started.Should().BeEmpty("observers hear of starts on the replica that created the session");
    }

    [Test]
    public async Task A_timeout_noticed_by_one_replica_is_reported_identically_by_all()
    {
        var clock = new FakeClock(TestTime.Start);
        (RedisSessionRegistry a, RecordingObserver aObserver) = Replica(clock);
        (RedisSessionRegistry b, _) = Replica(clock);
        (RedisSessionRegistry c, _) = Replica(clock);
        SessionInfo info = await a.CreateAsync();
        clock.Advance(TestTime.Minutes(10));
        await c.TouchAsync(info.Id);

        clock.Advance(TestTime.Minutes(45));
        (await a.SweepAsync()).Should().Be(1);

        ExpiredSession onB = (await b.LookupAsync(info.Id)).Expiry;
        ExpiredSession onC = (await c.TouchAsync(info.Id)).Expiry;
        onB.Should().Be(onC);
        onB.Reason.Should().Be(ExpiryReason.Timeout);
        onB.ExpiredAt.Should().Be(TestTime.Start + TestTime.Minutes(40));
        onB.LastActiveAt.Should().Be(TestTime.Start + TestTime.Minutes(10));
        aObserver.Ended.Should().ContainSingle().Which.Should().Be(onB);
    }

    [Test]
    public async Task The_first_end_wins_across_replicas_and_reads_the_same_everywhere()
    {
        var clock = new FakeClock(TestTime.Start);
        (RedisSessionRegistry a, _) = Replica(clock);
        (RedisSessionRegistry b, _) = Replica(clock);
        SessionInfo info = await a.CreateAsync();

        (await b.EndAsync(info.Id, ExpiryReason.Deleted)).Should().BeTrue();
        (await a.EndAsync(info.Id, ExpiryReason.Closed)).Should().BeFalse();
        (await a.EndAsync(info.Id, new RevokedReason())).Should().BeFalse();

        (await a.LookupAsync(info.Id)).Expiry.Reason.Should().Be(ExpiryReason.Deleted);
        (await b.LookupAsync(info.Id)).Expiry.Reason.Should().Be(ExpiryReason.Deleted);
    }

    [Test]
    public async Task A_user_reason_ended_on_one_replica_reads_back_by_code_on_another()
    {
        var clock = new FakeClock(TestTime.Start);
        (RedisSessionRegistry a, _) = Replica(clock);
        (RedisSessionRegistry b, _) = Replica(clock);
        SessionInfo info = await a.CreateAsync();

        await a.EndAsync(info.Id, new RevokedReason());

        ExpiryReason reason = (await b.LookupAsync(info.Id)).Expiry.Reason;
        reason.Should().Be(new RevokedReason());
        reason.Code.Should().Be("revoked");
        reason.Description.Should().Be("An administrator revoked the session.");
    }

    [Test]
    public async Task A_session_refreshed_on_another_replica_is_not_ended_by_a_sweep()
    {
        var clock = new FakeClock(TestTime.Start);
        (RedisSessionRegistry sweeper, _) = Replica(clock);
        (RedisSessionRegistry user, _) = Replica(clock);
        SessionInfo info = await user.CreateAsync();

        for (int i = 0; i < 12; i++)
        {
            clock.Advance(TestTime.Minutes(12));
            (await user.TouchAsync(info.Id)).IsActive.Should().BeTrue();
            clock.Advance(TestTime.Minutes(12));
            (await sweeper.SweepAsync()).Should().Be(0, "the session was used 12 minutes ago on the other replica");
        }

        (await sweeper.LookupAsync(info.Id)).IsActive.Should().BeTrue();
    }

    [Test]
    public async Task A_replica_whose_clock_is_behind_ends_sessions_late_never_early()
    {
        var clock = new FakeClock(TestTime.Start);
        var behind = new FakeClock(TestTime.Start - TestTime.Minutes(5));
        (RedisSessionRegistry a, _) = Replica(clock);
        (RedisSessionRegistry late, _) = Replica(behind);
        SessionInfo info = await a.CreateAsync();
        clock.Advance(TestTime.Minutes(10));
        await a.TouchAsync(info.Id);

        // The lagging replica touches at what it believes is 10:05; the stored last activity does not move back.
        behind.Advance(TestTime.Minutes(10));
        (await late.TouchAsync(info.Id)).Session.LastActiveAt.Should().Be(TestTime.Start + TestTime.Minutes(10));

        // At the real deadline the lagging replica still sees the session live; it ends it only when its own clock
        // reaches the deadline, and records the deadline itself.
        behind.Advance(TestTime.Minutes(30));
        (await late.SweepAsync()).Should().Be(0);
        (await late.LookupAsync(info.Id)).IsActive.Should().BeTrue();
        behind.Advance(TestTime.Minutes(5));
        (await late.SweepAsync()).Should().Be(1);
        (await a.LookupAsync(info.Id)).Expiry.ExpiredAt.Should().Be(TestTime.Start + TestTime.Minutes(40));
    }

    [Test]
    public async Task A_replica_whose_clock_runs_ahead_only_pushes_deadlines_later_for_the_others()
    {
        var clock = new FakeClock(TestTime.Start);
        var ahead = new FakeClock(TestTime.Start + TestTime.Minutes(5));
        (RedisSessionRegistry a, _) = Replica(clock);
        (RedisSessionRegistry early, _) = Replica(ahead);
        SessionInfo info = await a.CreateAsync();

        await early.TouchAsync(info.Id);

        clock.Advance(TestTime.Minutes(30));
        (await a.SweepAsync()).Should().Be(0, "the stored last activity is the replica-ahead's 10:05");
        clock.Advance(TestTime.Minutes(5));
        (await a.SweepAsync()).Should().Be(1);
    }

    [Test]
    public async Task With_MaxClockSkew_a_replica_far_ahead_of_Redis_cannot_end_a_live_session()
    {
        IServer server = RedisTestServer.Connection.GetServer(RedisTestServer.Server.Endpoint);
        Instant redisNow = Instant.FromDateTimeUtc(DateTime.SpecifyKind(await server.TimeAsync(), DateTimeKind.Utc));
        var honest = new FakeClock(redisNow);
        var ahead = new FakeClock(redisNow + Duration.FromHours(2));
        _options.IdleTimeout = TimeSpan.FromMinutes(30);
        (RedisSessionRegistry a, _) = Replica(honest);
        (RedisSessionRegistry guarded, _) = Replica(ahead, o => o.MaxClockSkew = TimeSpan.FromSeconds(30));
        (RedisSessionRegistry unguarded, _) = Replica(ahead);
        SessionInfo kept = await a.CreateAsync();
        SessionInfo lost = await a.CreateAsync();

        (await guarded.LookupAsync(kept.Id)).IsActive.Should().BeTrue("Redis's clock says the session is 0 minutes idle");
        (await guarded.SweepAsync()).Should().Be(0);
        (await unguarded.LookupAsync(lost.Id)).Expiry.Reason.Should().Be(
            ExpiryReason.Timeout, "without the guard a replica ahead by more than the idle timeout ends sessions early");
        (await a.LookupAsync(kept.Id)).IsActive.Should().BeTrue();
    }

    [Test]
    public async Task Many_replicas_sweeping_and_touching_at_once_end_each_session_exactly_once()
    {
        const int Sessions = 1_500;
        var clock = new FakeClock(TestTime.Start);
        var replicas = Enumerable.Range(0, 5).Select(_ => Replica(clock)).ToArray();
        var ids = new List<SessionId>();
        for (int i = 0; i < Sessions; i++)
        {
            ids.Add((await replicas[i % replicas.Length].Registry.CreateAsync()).Id);
        }

        clock.Advance(TestTime.Minutes(30));
        int[] swept = await Task.WhenAll(replicas.Select(r => Task.Run(async () =>
        {
            int ended = 0;
            for (int round = 0; round < 3; round++)
            {
                ended += await r.Registry.SweepAsync();
            }

            return ended;
        })).Concat(replicas.Select(r => Task.Run(async () =>
        {
            foreach (SessionId id in ids.Where((_, i) => i % 7 == 0))
            {
                (await r.Registry.TouchAsync(id)).IsActive.Should().BeFalse();
            }

            return 0;
        }))));

        var ended = replicas.SelectMany(r => r.Observer.Ended).ToList();
        ended.Should().HaveCount(Sessions);
        ended.Select(e => e.Id).Distinct().Should().HaveCount(Sessions);
        ended.Should().OnlyContain(e => e.Reason == ExpiryReason.Timeout && e.ExpiredAt == TestTime.Start + TestTime.Minutes(30));
        swept.Sum().Should().BeLessThanOrEqualTo(Sessions);
        (await replicas[0].Registry.CountAsync()).Should().Be(0);
        (await new RedisExpiryLedger(RedisTestServer.Connection, _options, RedisOptions(), clock).CountAsync()).Should().Be(Sessions);
    }

    [Test]
    public async Task Concurrent_ends_from_many_replicas_have_exactly_one_winner()
    {
        var clock = new FakeClock(TestTime.Start);
        var replicas = Enumerable.Range(0, 4).Select(_ => Replica(clock)).ToArray();
        ExpiryReason[] reasons = [ExpiryReason.Deleted, ExpiryReason.Closed, ExpiryReason.Evicted, new RevokedReason()];
        var ids = new List<SessionId>();
        for (int i = 0; i < 300; i++)
        {
            ids.Add((await replicas[0].Registry.CreateAsync()).Id);
        }

        bool[][] won = await Task.WhenAll(replicas.Select((r, n) => Task.Run(async () =>
        {
            var results = new bool[ids.Count];
            for (int i = 0; i < ids.Count; i++)
            {
                results[i] = await r.Registry.EndAsync(ids[i], reasons[n]);
            }

            return results;
        })));

        for (int i = 0; i < ids.Count; i++)
        {
            int winner = Enumerable.Range(0, replicas.Length).Single(n => won[n][i]);
            (await replicas[(winner + 1) % replicas.Length].Registry.LookupAsync(ids[i])).Expiry.Reason.Should().Be(reasons[winner]);
        }
    }

    [Test]
    public async Task A_lease_on_one_replica_holds_the_session_against_every_replica_sweep()
    {
        var clock = new FakeClock(TestTime.Start);
        (RedisSessionRegistry holder, _) = Replica(clock);
        (RedisSessionRegistry other, _) = Replica(clock);
        SessionInfo info = await other.CreateAsync();
        SessionLease lease = await holder.BeginLeaseAsync(info.Id);

        clock.Advance(Duration.FromHours(5));
        (await other.SweepAsync()).Should().Be(0);
        (await other.LookupAsync(info.Id)).IsActive.Should().BeTrue();

        await lease.DisposeAsync();
        clock.Advance(TestTime.Minutes(30));
        (await other.SweepAsync()).Should().Be(1);
        (await other.LookupAsync(info.Id)).Expiry.ExpiredAt.Should().Be(TestTime.Start + Duration.FromHours(5) + TestTime.Minutes(30));
    }

    [Test]
    public async Task The_leases_of_a_replica_that_stopped_lapse_and_the_idle_clock_restarts_when_noticed()
    {
        var clock = new FakeClock(TestTime.Start);
        (RedisSessionRegistry crashed, _) = Replica(clock);
        (RedisSessionRegistry survivor, _) = Replica(clock);
        SessionInfo info = await survivor.CreateAsync();
        SessionLease held = await survivor.BeginLeaseAsync(info.Id);
        SessionLease lost = await crashed.BeginLeaseAsync(info.Id);
        string lostToken = crashed.HeldTokens(info.Id).Single();
        await held.DisposeAsync();
        clock.Advance(Duration.FromHours(2));
        (await survivor.SweepAsync()).Should().Be(0, "the crashed replica's lease still counts while it has not lapsed");

        // The replica dies: it stops renewing, and its lease's time in Redis runs out (here: is set in the past).
        crashed.Dispose();
        await RedisTestServer.Connection.GetDatabase().HashSetAsync(new RedisKeys(_prefix).Session(info.Id), "l:" + lostToken, 1);
        Instant noticedAt = clock.GetCurrentInstant();

        (await survivor.SweepAsync()).Should().Be(0, "the idle clock restarts when the lost lease is noticed");
        SessionInfo live = (await survivor.LookupAsync(info.Id)).Session;
        live.LastActiveAt.Should().Be(noticedAt);
        clock.Advance(TestTime.Minutes(30));
        (await survivor.SweepAsync()).Should().Be(1);
        GC.KeepAlive(lost);
    }

    [Test]
    public async Task Observers_on_every_replica_hear_of_ends_made_elsewhere_once()
    {
        var clock = new FakeClock(TestTime.Start);
        (RedisSessionRegistry a, RecordingObserver aObserver) = Replica(clock);
        (RedisSessionRegistry b, RecordingObserver bObserver) = Replica(clock);
        using var announcementsOnB = new Announcements(b);
        await announcementsOnB.StartAsync();
        SessionInfo deleted = await a.CreateAsync();
        SessionInfo local = await b.CreateAsync();

        await a.EndAsync(deleted.Id, new RevokedReason());
        await b.EndAsync(local.Id, ExpiryReason.Deleted);

        (await Eventually.TrueAsync(() => Task.FromResult(bObserver.EndedCountById.ContainsKey(deleted.Id)))).Should().BeTrue();
        bObserver.Ended.Single(e => e.Id == deleted.Id).Reason.Should().Be(new RevokedReason());
        aObserver.EndedCountById[deleted.Id].Should().Be(1);
        bObserver.EndedCountById[deleted.Id].Should().Be(1);
        bObserver.EndedCountById[local.Id].Should().Be(1, "a replica ignores its own announcements");
    }

    private RedisSessionStoreOptions RedisOptions(Action<RedisSessionStoreOptions>? configure = null)
    {
        var options = new RedisSessionStoreOptions { KeyPrefix = _prefix };
        configure?.Invoke(options);
        return options;
    }

    private (RedisSessionRegistry Registry, RecordingObserver Observer) Replica(
        IClock clock, Action<RedisSessionStoreOptions>? configure = null)
    {
        var observer = new RecordingObserver();
        var registry = new RedisSessionRegistry(RedisTestServer.Connection, _options, RedisOptions(configure), clock, [observer]);
        _registries.Add(registry);
        return (registry, observer);
    }

    /// <summary>Runs the announcement listener of one registry, as the host does.</summary>
    private sealed class Announcements(RedisSessionRegistry registry) : IDisposable
    {
        private readonly RedisEndAnnouncements _listener = new(
            registry, Microsoft.Extensions.Logging.Abstractions.NullLogger<RedisEndAnnouncements>.Instance);

        public Task StartAsync() => _listener.StartAsync(CancellationToken.None);

        public void Dispose() => _listener.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
    }
}
