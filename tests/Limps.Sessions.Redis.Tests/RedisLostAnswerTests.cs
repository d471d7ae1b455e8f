using Limps.Sessions.Redis.Tests.Infrastructure;
using NodaTime;
using NodaTime.Testing;
using StackExchange.Redis;

namespace Limps.Sessions.Redis.Tests;

/// <summary>
/// A command whose answer comes after the operation timeout: the caller got <see cref="SessionStoreUnavailableException"/>
/// (HTTP 503), yet Redis ran it. A proxy between the registry and a real redis-server holds the replies back; the tests
/// look at Redis directly, then let the answers through and show that nothing is left behind: no lease that holds a
/// session forever, no session nobody knows of, no end this replica's observers never hear of.
/// </summary>
[CancelAfter(60_000)]
public class RedisLostAnswerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(250);

    private DelayingRedisProxy _proxy = null!;
    private ConnectionMultiplexer _connection = null!;
    private FakeClock _clock = null!;
    private string _prefix = null!;
    private IDatabase _direct = null!;
    private RedisSessionRegistry? _registry;
    private RecordingObserver _observer = null!;

    [SetUp]
    public async Task SetUp()
    {
        // A script Redis has not cached yet costs a NOSCRIPT answer first, and a held NOSCRIPT would keep the script
        // from running at all: load them, as a warm replica has them.
        IServer server = RedisTestServer.Connection.GetServer(RedisTestServer.Server.Endpoint);
        foreach ((string _, RedisScript script) in RedisScripts.All)
        {
            await server.ScriptLoadAsync(script.Text);
        }

        _proxy = DelayingRedisProxy.Start(RedisTestServer.Server.Endpoint);
        _connection = RedisTestServer.Connect(_proxy.Endpoint);
        _clock = new FakeClock(TestTime.Start);
        _prefix = RedisTestServer.NewPrefix();
        _direct = RedisTestServer.Connection.GetDatabase();
        _observer = new RecordingObserver();
    }

    [TearDown]
    public async Task TearDown()
    {
        _proxy.ReleaseReplies();
        _registry?.Dispose();
        await _connection.DisposeAsync();
        await _proxy.DisposeAsync();
    }

    [Test]
    public async Task A_lease_whose_answer_came_too_late_is_released_and_the_session_idles_out_frees_its_slot_and_its_keys()
    {
        RedisSessionRegistry registry = Registry(maxSessions: 1);
        SessionInfo info = await registry.CreateAsync();
        RedisKey key = SessionKey(info.Id);

        _proxy.HoldReplies();
        await FluentActions.Awaiting(() => registry.BeginLeaseAsync(info.Id).AsTask())
            .Should().ThrowAsync<SessionStoreUnavailableException>();
        (await _direct.HashGetAsync(key, "n")).Should().Be(1, "Redis ran the lease script; only its answer was late");
        (await _direct.KeyTimeToLiveAsync(key)).Should().NotBeNull("even a lease nobody will release cannot keep the keys forever");
        _proxy.ReleaseReplies();

        (await Eventually.TrueAsync(async () =>
            {
                await registry.BeatAsync();
                return (long)await _direct.HashGetAsync(key, "n") == 0;
            }))
            .Should().BeTrue("the lease is released by the token the caller chose, although the caller never held it");
        registry.PendingWrites.Should().Be(0);
        registry.LocalLeases.Should().Be(0);
        (await _direct.KeyTimeToLiveAsync(key)).Should().BeCloseTo(TimeSpan.FromMinutes(40), TimeSpan.FromSeconds(5),
            "the keys expire by themselves at the idle deadline plus the grace, sweep or no sweep");

        _clock.Advance(TestTime.Minutes(31));
        (await registry.SweepAsync()).Should().Be(1, "the session idles out like any other");
        (await registry.LookupAsync(info.Id)).Expiry.Reason.Should().Be(ExpiryReason.Timeout);
        (await registry.CountAsync()).Should().Be(0);
        (await _direct.KeyExistsAsync(key)).Should().BeFalse();
        (await registry.CreateAsync()).Id.IsEmpty.Should().BeFalse("its MaxSessions slot is free again");
    }

    [Test]
    public async Task A_create_whose_answer_came_too_late_leaves_no_session_behind()
    {
        RedisSessionRegistry registry = Registry(maxSessions: 1);
        SessionId id = SessionId.New();

        _proxy.HoldReplies();
        await FluentActions.Awaiting(() => registry.CreateAsync(id, owner: "alice").AsTask())
            .Should().ThrowAsync<SessionStoreUnavailableException>();
        (await _direct.KeyExistsAsync(SessionKey(id))).Should().BeTrue("Redis ran the create script; only its answer was late");
        _proxy.ReleaseReplies();

        (await Eventually.TrueAsync(async () =>
            {
                await registry.BeatAsync();
                return !await _direct.KeyExistsAsync(SessionKey(id));
            }))
            .Should().BeTrue("a session nobody learned of is taken back");
        (await _direct.SortedSetLengthAsync(new RedisKeys(_prefix).Deadlines(0))).Should().Be(0);
        (await registry.LookupAsync(id)).IsNotFound.Should().BeTrue();
        (await registry.CreateAsync()).Id.IsEmpty.Should().BeFalse("its MaxSessions slot is free again");
        _observer.Started.Should().ContainSingle("only the create that was answered started a session here");
    }

    [Test]
    public async Task A_create_taken_back_only_if_nothing_used_it()
    {
        RedisSessionRegistry registry = Registry(maxSessions: 5);
        SessionId id = SessionId.New();

        _proxy.HoldReplies();
        await FluentActions.Awaiting(() => registry.CreateAsync(id).AsTask()).Should().ThrowAsync<SessionStoreUnavailableException>();
        _clock.Advance(Duration.FromSeconds(5));

        // Someone learned the id after all (another replica served it): it is used, so it stays.
        using ConnectionMultiplexer other = RedisTestServer.Connect(RedisTestServer.Server.Endpoint);
        using var elsewhere = new RedisSessionRegistry(
            other, new LimpsSessionsOptions(), new RedisSessionStoreOptions { KeyPrefix = _prefix }, _clock);
        (await elsewhere.TouchAsync(id)).IsActive.Should().BeTrue();
        _proxy.ReleaseReplies();

        (await Eventually.TrueAsync(async () =>
            {
                await registry.BeatAsync();
                return registry.PendingWrites == 0;
            }))
            .Should().BeTrue();
        (await registry.LookupAsync(id)).IsActive.Should().BeTrue();
    }

    [Test]
    public async Task An_end_whose_answer_came_too_late_has_ended_the_session_once_and_this_replica_hears_of_it()
    {
        RedisSessionRegistry registry = Registry(maxSessions: 5);
        SessionInfo info = await registry.CreateAsync(owner: "alice");

        _proxy.HoldReplies();
        await FluentActions.Awaiting(() => registry.EndAsync(info.Id, ExpiryReason.Deleted).AsTask())
            .Should().ThrowAsync<SessionStoreUnavailableException>();
        (await _direct.KeyExistsAsync(SessionKey(info.Id))).Should().BeFalse("Redis ran the end; only its answer was late");
        _proxy.ReleaseReplies();

        (await Eventually.TrueAsync(async () =>
            {
                await registry.BeatAsync();
                return _observer.EndedCountById.ContainsKey(info.Id);
            }))
            .Should().BeTrue("this replica's observers (its MCP server's copy of the session) hear of the end");
        ExpiredSession ended = _observer.EndedFor(info.Id).Single();
        ended.Reason.Should().Be(ExpiryReason.Deleted);
        ended.Owner.Should().Be("alice");
        (await registry.EndAsync(info.Id, ExpiryReason.Deleted)).Should().BeFalse("a retried DELETE finds it already ended");
        (await registry.LookupAsync(info.Id)).Expiry.Reason.Should().Be(ExpiryReason.Deleted);
        (await registry.CountAsync()).Should().Be(0);
    }

    [Test]
    public async Task A_release_whose_answer_came_too_late_is_not_counted_twice()
    {
        RedisSessionRegistry registry = Registry(maxSessions: 5);
        SessionInfo info = await registry.CreateAsync();
        SessionLease first = await registry.BeginLeaseAsync(info.Id);
        SessionLease second = await registry.BeginLeaseAsync(info.Id);

        _proxy.HoldReplies();
        ValueTask released = first.DisposeAsync();
        released.IsCompletedSuccessfully.Should().BeTrue("the caller does not wait for Redis to confirm a release");
        (await Eventually.TrueAsync(() => Task.FromResult(registry.PendingWrites == 1)))
            .Should().BeTrue("the release whose answer came too late is kept for the heartbeat");
        _proxy.ReleaseReplies();
        (await Eventually.TrueAsync(async () =>
            {
                await registry.BeatAsync();
                return registry.PendingWrites == 0;
            }))
            .Should().BeTrue();

        (await _direct.HashGetAsync(SessionKey(info.Id), "n")).Should().Be(1, "the retried release changed nothing: the other lease still holds");
        _clock.Advance(Duration.FromHours(2));
        (await registry.SweepAsync()).Should().Be(0);
        await second.DisposeAsync();
        _clock.Advance(TestTime.Minutes(30));
        (await registry.SweepAsync()).Should().Be(1);
    }

    [Test]
    public async Task An_owner_checked_lease_whose_answer_came_too_late_leaves_no_lease_behind()
    {
        RedisSessionRegistry registry = Registry(maxSessions: 5);
        SessionInfo info = await registry.CreateAsync(owner: "alice");

        _proxy.HoldReplies();
        await FluentActions.Awaiting(() => registry.BeginLeaseForOwnerAsync(info.Id, "alice").AsTask())
            .Should().ThrowAsync<SessionStoreUnavailableException>();
        (await _direct.HashGetAsync(SessionKey(info.Id), "n")).Should().Be(1, "Redis ran the lease all the same");
        _proxy.ReleaseReplies();

        (await Eventually.TrueAsync(async () =>
            {
                await registry.BeatAsync();
                return (long)await _direct.HashGetAsync(SessionKey(info.Id), "n") == 0;
            }))
            .Should().BeTrue("the lease nobody holds is released by its token");
        registry.LocalLeases.Should().Be(0);
        _clock.Advance(TestTime.Minutes(30));
        (await registry.SweepAsync()).Should().Be(1, "the session idles out as if the request never came");
    }

    [Test]
    public async Task A_release_is_sent_at_once_and_reaches_Redis_while_the_caller_has_long_moved_on()
    {
        RedisSessionRegistry registry = Registry(maxSessions: 5);
        SessionInfo info = await registry.CreateAsync(owner: "alice");
        SessionLease lease = await registry.BeginLeaseForOwnerAsync(info.Id, "alice");
        lease.IsHeld.Should().BeTrue();

        _proxy.HoldReplies();
        ValueTask released = lease.DisposeAsync();

        released.IsCompletedSuccessfully.Should().BeTrue("the answer to a request does not wait for its lease's release");
        registry.LocalLeases.Should().Be(0, "the replica stops renewing it at once");
        (await Eventually.TrueAsync(async () => (long)await _direct.HashGetAsync(SessionKey(info.Id), "n") == 0))
            .Should().BeTrue("the release reached Redis though its answer is still held");
        _proxy.ReleaseReplies();
        _clock.Advance(TestTime.Minutes(30));
        (await registry.SweepAsync()).Should().Be(1);
    }

    private RedisKey SessionKey(SessionId id) => new RedisKeys(_prefix).Session(id);

    private RedisSessionRegistry Registry(int maxSessions)
    {
        _registry = new RedisSessionRegistry(
            _connection,
            new LimpsSessionsOptions { MaxSessions = maxSessions },
            new RedisSessionStoreOptions { KeyPrefix = _prefix, OperationTimeout = Timeout },
            _clock,
            [_observer]);
        return _registry;
    }
}
