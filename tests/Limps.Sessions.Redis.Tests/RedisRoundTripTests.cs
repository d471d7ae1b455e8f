using System.Net;
using System.Text.Json;
using Limps.Sessions.Redis.Tests.Handles;
using Limps.Sessions.Redis.Tests.Infrastructure;
using NodaTime.Testing;
using StackExchange.Redis;

namespace Limps.Sessions.Redis.Tests;

/// <summary>
/// How many times a request waits for Redis (design §9): a proxy between the registry and a real redis-server logs
/// every command Redis receives, and tells by its digest which script ran.
/// </summary>
[CancelAfter(60_000)]
public class RedisRoundTripTests
{
    private readonly List<RedisHandleStore<Basket>> _handleStores = [];
    private DelayingRedisProxy _proxy = null!;
    private ConnectionMultiplexer _connection = null!;
    private FakeClock _clock = null!;
    private string _prefix = null!;

    [SetUp]
    public async Task SetUp()
    {
        // Cached scripts, as a warm replica has them: a first call would otherwise add a NOSCRIPT answer and an EVAL.
        IServer server = RedisTestServer.Connection.GetServer(RedisTestServer.Server.Endpoint);
        foreach ((string _, RedisScript script) in RedisScripts.All)
        {
            await server.ScriptLoadAsync(script.Text);
        }

        _proxy = DelayingRedisProxy.Start(RedisTestServer.Server.Endpoint);
        _connection = RedisTestServer.Connect(_proxy.Endpoint);
        _clock = new FakeClock(TestTime.Start);
        _prefix = RedisTestServer.NewPrefix();
    }

    [TearDown]
    public async Task TearDown()
    {
        _proxy.ReleaseReplies();
        foreach (RedisHandleStore<Basket> store in _handleStores)
        {
            store.Dispose();
        }

        _handleStores.Clear();
        await _connection.DisposeAsync();
        await _proxy.DisposeAsync();
    }

    [Test]
    public async Task An_owner_checked_lease_is_one_script_and_its_release_goes_in_one_more_that_nobody_waits_for()
    {
        using RedisSessionRegistry registry = Registry();
        SessionInfo info = await registry.CreateAsync(owner: "alice");
        _proxy.Sent.Clear();

        SessionLease lease = await registry.BeginLeaseForOwnerAsync(info.Id, "alice");

        lease.IsHeld.Should().BeTrue();
        DataCommands().Should().Equal(["requests(b)"], "look-up, owner check and lease are one script: one round trip");

        _proxy.HoldReplies();
        ValueTask released = lease.DisposeAsync();
        released.IsCompletedSuccessfully.Should().BeTrue("the release is not waited for");
        (await Eventually.TrueAsync(() => Task.FromResult(DataCommands().Count == 2))).Should().BeTrue(
            "with nothing else to ride with, the release goes by itself");
        DataCommands().Should().Equal(["requests(b)", "requests(r)"]);
    }

    [Test]
    public async Task Another_owners_session_costs_the_same_one_script_and_is_left_untouched()
    {
        using RedisSessionRegistry registry = Registry();
        SessionInfo info = await registry.CreateAsync(owner: "alice");
        _clock.Advance(TestTime.Minutes(10));
        _proxy.Sent.Clear();

        SessionLease lease = await registry.BeginLeaseForOwnerAsync(info.Id, "mallory");
        await lease.DisposeAsync();

        lease.IsOwnerMismatch.Should().BeTrue();
        DataCommands().Should().Equal(["requests(b)"], "nothing was leased, so there is nothing to release");
        (await registry.LookupAsync(info.Id)).Session.LastActiveAt.Should().Be(TestTime.Start);
    }

    [Test]
    public async Task A_tools_call_on_a_session_waits_for_Redis_once()
    {
        await using ReplicaHost host = await ReplicaHost.StartAsync(_connection, _prefix, _clock);
        string id = await host.InitializeAsync();
        using (HttpResponseMessage warm = await host.CallEchoAsync(id, "warm"))
        {
            warm.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        (await Eventually.TrueAsync(() => Task.FromResult(DataCommands().LastOrDefault() == "requests(r)"))).Should().BeTrue();
        _proxy.Sent.Clear();

        using HttpResponseMessage answer = await host.CallEchoAsync(id, "counted");

        answer.StatusCode.Should().Be(HttpStatusCode.OK);
        (await Eventually.TrueAsync(() => Task.FromResult(DataCommands().Count == 2))).Should().BeTrue();
        DataCommands().Should().Equal(
            ["requests(b)", "requests(r)"], "one script looks up, checks the owner and leases; the release follows the answer");
    }

    [Test]
    public async Task Leases_and_releases_made_while_a_request_script_is_on_its_way_go_together_in_the_next_one()
    {
        using RedisSessionRegistry registry = Registry();
        SessionInfo[] sessions = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => registry.CreateAsync(owner: "alice").AsTask()));
        SessionLease done = await registry.BeginLeaseForOwnerAsync(sessions[4].Id, "alice");
        (await registry.LookupAsync(sessions[4].Id)).IsActive.Should().BeTrue(); // sends nothing more for the lease
        _proxy.Sent.Clear();

        _proxy.HoldReplies();
        Task<SessionLease> first = registry.BeginLeaseForOwnerAsync(sessions[0].Id, "alice").AsTask();
        (await Eventually.TrueAsync(() => Task.FromResult(DataCommands().Count == 1))).Should().BeTrue();
        await done.DisposeAsync();
        Task<SessionLease>[] next = [.. sessions.Skip(1).Take(3).Select(s => registry.BeginLeaseForOwnerAsync(s.Id, "alice").AsTask())];
        DataCommands().Should().Equal(["requests(b)"], "the others wait while the first script is on its way");
        _proxy.ReleaseReplies();

        (await first).IsHeld.Should().BeTrue();
        foreach (SessionLease lease in await Task.WhenAll(next))
        {
            lease.IsHeld.Should().BeTrue();
        }

        (await Eventually.TrueAsync(() => Task.FromResult(DataCommands().Count == 3))).Should().BeTrue();
        DataCommands().Should().Equal(
            ["requests(b)", "requests(b,b,b)", "requests(r)"],
            "three leases in one script; the release waits one script more for a lease of its session, then goes");
        (await Direct().HashGetAsync(SessionKey(sessions[4].Id), "n")).Should().Be(0);
        foreach (SessionInfo session in sessions.Take(4))
        {
            (await Direct().HashGetAsync(SessionKey(session.Id), "n")).Should().Be(1);
        }
    }

    [Test]
    public async Task A_release_kept_back_one_script_goes_with_its_sessions_next_lease_as_one_handover()
    {
        using RedisSessionRegistry registry = Registry();
        SessionInfo info = await registry.CreateAsync(owner: "alice");
        SessionInfo other = await registry.CreateAsync(owner: "alice");
        (_, Task<SessionLease> first) = await GiveALeaseBackBehindAScriptOnItsWayAsync(registry, NodaTime.Duration.Zero, info);
        Task<SessionLease> second = registry.BeginLeaseForOwnerAsync(other.Id, "alice").AsTask();

        // The first script is answered; the second goes, and its own answer is held.
        _proxy.ReleaseReplies();
        _proxy.HoldReplies();
        (await first).IsHeld.Should().BeTrue();
        (await Eventually.TrueAsync(() => Task.FromResult(DataCommands().Count == 2))).Should().BeTrue();
        DataCommands().Should().Equal(["requests(b)", "requests(b)"], "the release waits one script more");

        // The client's next request on the session comes while that script is on its way.
        Task<SessionLease> again = registry.BeginLeaseForOwnerAsync(info.Id, "alice").AsTask();
        _proxy.ReleaseReplies();
        (await second).IsHeld.Should().BeTrue();
        await using SessionLease lease = await again;

        lease.IsHeld.Should().BeTrue();
        (await Eventually.TrueAsync(() => Task.FromResult(DataCommands().Count == 3))).Should().BeTrue();
        DataCommands().Should().Equal(["requests(b)", "requests(b)", "requests(h)"], "the release and the next lease went as one call");
        (await Direct().HashGetAsync(SessionKey(info.Id), "n")).Should().Be(1);
    }

    [Test]
    public async Task A_release_kept_back_behind_leases_that_were_all_given_up_goes_at_once()
    {
        using RedisSessionRegistry registry = Registry();
        SessionInfo other = await registry.CreateAsync(owner: "alice");
        (SessionInfo info, Task<SessionLease> first) = await GiveALeaseBackBehindAScriptOnItsWayAsync(registry, NodaTime.Duration.Zero);
        await GiveUpALeaseWhileItWaitsAsync(registry, other.Id);
        _proxy.ReleaseReplies();

        (await first).IsHeld.Should().BeTrue();
        (await Eventually.TrueAsync(() => Task.FromResult(DataCommands().Count == 2))).Should().BeTrue();
        DataCommands().Should().Equal(["requests(b)", "requests(r)"], "nothing else went that would have sent it later");
        (await Direct().HashGetAsync(SessionKey(info.Id), "n")).Should().Be(0);
        (await Direct().HashGetAsync(SessionKey(other.Id), "n")).Should().Be(0, "the lease nobody waited for was never sent");
    }

    [Test]
    public async Task A_call_that_fails_in_a_shared_script_fails_alone()
    {
        using RedisSessionRegistry registry = Registry();
        SessionInfo blocker = await registry.CreateAsync(owner: "alice");
        SessionInfo broken = await registry.CreateAsync(owner: "alice");
        SessionInfo fine = await registry.CreateAsync(owner: "alice");
        // Something other than this library wrote a value of another type at the session's key.
        await Direct().KeyDeleteAsync(SessionKey(broken.Id));
        await Direct().StringSetAsync(SessionKey(broken.Id), "not a hash");
        _proxy.Sent.Clear();

        _proxy.HoldReplies();
        Task<SessionLease> first = registry.BeginLeaseForOwnerAsync(blocker.Id, "alice").AsTask();
        (await Eventually.TrueAsync(() => Task.FromResult(DataCommands().Count == 1))).Should().BeTrue();
        Task<SessionLease> failing = registry.BeginLeaseForOwnerAsync(broken.Id, "alice").AsTask();
        Task<SessionLease> passing = registry.BeginLeaseForOwnerAsync(fine.Id, "alice").AsTask();
        _proxy.ReleaseReplies();

        (await first).IsHeld.Should().BeTrue();
        (await passing).IsHeld.Should().BeTrue("the other call in the same script is answered as if it had gone alone");
        (await FluentActions.Awaiting(() => failing).Should().ThrowAsync<SessionStoreUnavailableException>())
            .Which.Message.Should().Contain("WRONGTYPE").And.NotContain(broken.Id.ToString());
        DataCommands().Should().Equal(["requests(b)", "requests(b,b)"]);
        (await Direct().HashGetAsync(SessionKey(fine.Id), "n")).Should().Be(1);
    }

    [Test]
    public async Task Calls_waiting_behind_a_script_Redis_did_not_answer_in_time_fail_with_it_and_their_leases_are_released_later()
    {
        using RedisSessionRegistry registry = Registry(operationTimeout: TimeSpan.FromMilliseconds(250));
        SessionInfo a = await registry.CreateAsync(owner: "alice");
        SessionInfo b = await registry.CreateAsync(owner: "alice");
        _proxy.Sent.Clear();

        _proxy.HoldReplies();
        Task<SessionLease> first = registry.BeginLeaseForOwnerAsync(a.Id, "alice").AsTask();
        (await Eventually.TrueAsync(() => Task.FromResult(DataCommands().Count == 1))).Should().BeTrue();
        Task<SessionLease> waiting = registry.BeginLeaseForOwnerAsync(b.Id, "alice").AsTask();

        await FluentActions.Awaiting(() => first).Should().ThrowAsync<SessionStoreUnavailableException>();
        await FluentActions.Awaiting(() => waiting).Should().ThrowAsync<SessionStoreUnavailableException>(
            "it would have waited a whole timeout more behind a script Redis did not answer");
        DataCommands().Should().Equal(["requests(b)"], "the waiting lease was never sent");
        _proxy.ReleaseReplies();

        (await Eventually.TrueAsync(async () =>
            {
                await registry.BeatAsync();
                return (long)await Direct().HashGetAsync(SessionKey(a.Id), "n") == 0 && registry.PendingWrites == 0;
            }))
            .Should().BeTrue("the lease Redis opened without its answer arriving is released by its token");
        (await Direct().HashGetAsync(SessionKey(b.Id), "n")).Should().Be(0);
    }

    [Test]
    public async Task Once_the_connection_is_gone_every_lease_and_release_still_gets_its_answer()
    {
        using RedisSessionRegistry registry = Registry();
        SessionInfo info = await registry.CreateAsync(owner: "alice");
        SessionLease held = await registry.BeginLeaseForOwnerAsync(info.Id, "alice");

        // A script that fails before it is even sent must not keep the calls after it waiting for its answer.
        await _connection.DisposeAsync();
        await held.DisposeAsync();
        for (int i = 0; i < 3; i++)
        {
            await FluentActions.Awaiting(() => registry.BeginLeaseForOwnerAsync(info.Id, "alice").AsTask())
                .Should().ThrowAsync<SessionStoreUnavailableException>();
        }

        Task<SessionLease>[] together = [.. Enumerable.Range(0, 4).Select(_ => registry.BeginLeaseForOwnerAsync(info.Id, "alice").AsTask())];
        foreach (Task<SessionLease> lease in together)
        {
            await FluentActions.Awaiting(() => lease).Should().ThrowAsync<SessionStoreUnavailableException>();
        }

        registry.PendingWrites.Should().Be(8, "the release and every lease Redis might have opened are kept to be released later");
    }

    [Test]
    public async Task A_script_that_cannot_even_be_built_fails_its_calls_and_the_lane_goes_on()
    {
        var clock = new ThrowingClock(_clock);
        using RedisSessionRegistry registry = Registry(clock: clock);
        SessionInfo info = await registry.CreateAsync(owner: "alice");

        clock.Throws = true;
        await FluentActions.Awaiting(() => registry.BeginLeaseForOwnerAsync(info.Id, "alice").AsTask())
            .Should().ThrowAsync<InvalidOperationException>().WithMessage("the clock failed");

        clock.Throws = false;
        SessionLease lease = await registry.BeginLeaseForOwnerAsync(info.Id, "alice");
        lease.IsHeld.Should().BeTrue("the lane is not left waiting for the script that was never sent");
        await lease.DisposeAsync();
    }

    [Test]
    public async Task A_sessions_release_and_its_next_lease_waiting_for_the_same_script_go_as_one_handover()
    {
        using RedisSessionRegistry registry = Registry();
        (SessionInfo info, Task<SessionLease> first) = await GiveALeaseBackBehindAScriptOnItsWayAsync(registry, TestTime.Minutes(1));
        SessionLease lease = await LeaseBehindTheReleaseAsync(registry, info.Id, "alice", first, TestTime.Minutes(1));

        lease.IsHeld.Should().BeTrue();
        lease.Lookup.Session.LastActiveAt.Should().Be(TestTime.Start + TestTime.Minutes(2));
        DataCommands().Should().Equal(["requests(b)", "requests(h)"], "the release and the next lease of one session are one call");
        HashEntry[] fields = await Direct().HashGetAllAsync(SessionKey(info.Id));
        fields.Where(f => ((string)f.Name!).StartsWith("l:", StringComparison.Ordinal)).Should().ContainSingle(
            "the old lease is gone and the new one is held");
        fields.Single(f => f.Name == "n").Value.Should().Be(1);

        await lease.DisposeAsync();
        (await Eventually.TrueAsync(async () => (long)await Direct().HashGetAsync(SessionKey(info.Id), "n") == 0)).Should().BeTrue();
    }

    [Test]
    public async Task A_handover_to_another_owner_still_gives_the_lease_back_and_answers_unknown()
    {
        using RedisSessionRegistry registry = Registry();
        (SessionInfo info, Task<SessionLease> first) = await GiveALeaseBackBehindAScriptOnItsWayAsync(registry, TestTime.Minutes(1));
        SessionLease foreign = await LeaseBehindTheReleaseAsync(registry, info.Id, "mallory", first, TestTime.Minutes(1));

        foreign.IsOwnerMismatch.Should().BeTrue();
        DataCommands().Should().Equal(["requests(b)", "requests(h)"]);
        (await Direct().HashGetAsync(SessionKey(info.Id), "n")).Should().Be(0, "the release happened as it would have alone");
        (await registry.LookupAsync(info.Id)).Session.LastActiveAt.Should().Be(
            TestTime.Start + TestTime.Minutes(1), "the idle clock starts when alice's lease was given back, not at mallory's try");
        TimeSpan? ttl = await Direct().KeyTimeToLiveAsync(SessionKey(info.Id));
        ttl.Should().BeGreaterThan(TimeSpan.FromMinutes(28), "the key lives until the new deadline (idle timeout from the release) and its grace");
    }

    [Test]
    public async Task A_handover_to_a_session_that_became_due_ends_it_with_the_release_as_its_last_activity()
    {
        using RedisSessionRegistry registry = Registry();
        (SessionInfo info, Task<SessionLease> first) = await GiveALeaseBackBehindAScriptOnItsWayAsync(registry, TestTime.Minutes(1));
        SessionLookup answer = (await LeaseBehindTheReleaseAsync(registry, info.Id, "alice", first, TestTime.Minutes(31))).Lookup;

        DataCommands().Should().Equal(["requests(b)", "requests(h)"]);
        answer.IsExpired.Should().BeTrue("idle for 31 minutes since the lease was given back, with none held");
        answer.Expiry.Reason.Should().Be(ExpiryReason.Timeout);
        answer.Expiry.LastActiveAt.Should().Be(TestTime.Start + TestTime.Minutes(1));
        answer.Expiry.ExpiredAt.Should().Be(TestTime.Start + TestTime.Minutes(31));
        (await Direct().KeyExistsAsync(SessionKey(info.Id))).Should().BeFalse();
    }

    [Test]
    public async Task A_handover_whose_caller_gave_up_before_it_was_sent_still_gives_the_lease_back()
    {
        using RedisSessionRegistry registry = Registry();
        (SessionInfo info, Task<SessionLease> first) = await GiveALeaseBackBehindAScriptOnItsWayAsync(registry, NodaTime.Duration.Zero);
        await GiveUpALeaseWhileItWaitsAsync(registry, info.Id);
        _proxy.ReleaseReplies();

        (await first).IsHeld.Should().BeTrue();
        (await Eventually.TrueAsync(() => Task.FromResult(DataCommands().Count == 2))).Should().BeTrue();
        DataCommands().Should().Equal(["requests(b)", "requests(r)"], "the lease nobody waits for is left out, its release is not");
        (await Direct().HashGetAsync(SessionKey(info.Id), "n")).Should().Be(0);
    }

    [Test]
    public async Task A_handover_in_a_script_Redis_did_not_answer_in_time_fails_its_lease_and_its_release_goes_later()
    {
        using RedisSessionRegistry registry = Registry(operationTimeout: TimeSpan.FromMilliseconds(250));
        (SessionInfo info, Task<SessionLease> first) = await GiveALeaseBackBehindAScriptOnItsWayAsync(registry, NodaTime.Duration.Zero);
        Task<SessionLease> waiting = registry.BeginLeaseForOwnerAsync(info.Id, "alice").AsTask();
        await FluentActions.Awaiting(() => first).Should().ThrowAsync<SessionStoreUnavailableException>();
        await FluentActions.Awaiting(() => waiting).Should().ThrowAsync<SessionStoreUnavailableException>();
        _proxy.ReleaseReplies();

        (await Eventually.TrueAsync(async () =>
            {
                await registry.BeatAsync();
                return (long)await Direct().HashGetAsync(SessionKey(info.Id), "n") == 0 && registry.PendingWrites == 0;
            }))
            .Should().BeTrue("the handover's release, kept for the heartbeat, reaches Redis once it answers again");
    }

    [Test]
    public async Task Handle_uses_made_while_a_request_script_is_on_its_way_go_together_in_the_next_one_each_for_its_own_caller()
    {
        RedisHandleStore<Basket> store = HandleStore();
        string first = await store.CreateAsync(Basket.Of("apple"), "alice");
        string second = await store.CreateAsync(Basket.Of("pear"), "alice");
        string bobs = await store.CreateAsync(Basket.Of("plum"), "bob");
        string targeted = await store.CreateAsync(Basket.Of("fig"), "alice");
        string revoked = await store.CreateAsync(Basket.Empty, "alice");
        await store.EndAsync(revoked, new RevokedReason());
        _clock.Advance(NodaTime.Duration.FromMinutes(1));
        RedisValue secondActive = await Direct().HashGetAsync(HandleKey(store, second), "a");
        RedisValue targetedActive = await Direct().HashGetAsync(HandleKey(store, targeted), "a");
        _proxy.Sent.Clear();

        Task<Basket> waitedFor = await UseWithRepliesHeldAsync(store, first);
        Task<Basket> alices = store.UseAsync(second, "alice").AsTask();
        Task<Basket> mallorys = store.UseAsync(targeted, "mallory").AsTask();
        Task<Basket> ended = store.UseAsync(revoked, "alice").AsTask();
        Task<Basket> bob = store.UseAsync(bobs, "bob").AsTask();
        DataCommands().Should().Equal(["requests(u)"], "the others wait while the first script is on its way");
        _proxy.ReleaseReplies();

        (await waitedFor).Items.Should().Equal("apple");
        (await FluentActions.Awaiting(() => mallorys).Should().ThrowAsync<HandleUnavailableException>())
            .Which.Code.Should().Be(HandleErrorCodes.NotFound, "another user's basket reads as unknown");
        (await Direct().HashGetAsync(HandleKey(store, targeted), "a")).Should().Be(targetedActive, "another user's use left it untouched");
        (await alices).Items.Should().Equal("pear");
        (await FluentActions.Awaiting(() => ended).Should().ThrowAsync<HandleUnavailableException>())
            .Which.Reason.Should().Be(new RevokedReason());
        (await bob).Items.Should().Equal("plum");
        DataCommands().Should().Equal(["requests(u)", "requests(u,u,u,u)"], "four uses in one script");
        (await Direct().HashGetAsync(HandleKey(store, second), "a")).Should().NotBe(secondActive, "its owner's use recorded activity");
    }

    [Test]
    public async Task A_handle_use_given_up_while_it_waits_is_never_sent_and_one_that_fails_in_a_shared_script_fails_alone()
    {
        RedisHandleStore<Basket> store = HandleStore();
        string blocker = await store.CreateAsync(Basket.Of("apple"), "alice");
        string fine = await store.CreateAsync(Basket.Of("pear"), "alice");
        string broken = await store.CreateAsync(Basket.Of("plum"), "alice");
        await PutAStringAtAsync(HandleKey(store, broken));
        _proxy.Sent.Clear();

        Task<Basket> first = await UseWithRepliesHeldAsync(store, blocker);
        using (var giveUp = new CancellationTokenSource())
        {
            Task<Basket> abandoned = store.UseAsync(fine, "alice", giveUp.Token).AsTask();
            await giveUp.CancelAsync();
            await FluentActions.Awaiting(() => abandoned).Should().ThrowAsync<OperationCanceledException>("its caller gave up before it was sent");
        }

        Task<Basket> failing = store.UseAsync(broken, "alice").AsTask();
        Task<Basket> passing = store.UseAsync(fine, "alice").AsTask();
        _proxy.ReleaseReplies();

        (await first).Items.Should().Equal("apple");
        (await passing).Items.Should().Equal(["pear"], "the other use in the same script is answered as if it had gone alone");
        (await FluentActions.Awaiting(() => failing).Should().ThrowAsync<SessionStoreUnavailableException>())
            .Which.Message.Should().Contain("WRONGTYPE").And.NotContain(broken);
        DataCommands().Should().Equal(["requests(u)", "requests(u,u)"], "the use given up is not in the second script");
    }

    [Test]
    public async Task Handle_state_writes_made_while_a_request_script_is_on_its_way_go_together_in_the_next_one_each_answered_on_its_own()
    {
        RedisHandleStore<Basket> store = HandleStore();
        RedisSessionRegistry registry = store.Registry;
        string blocker = await store.CreateAsync(Basket.Of("apple"), "alice");
        SessionId mine = await CreateIdAsync(store, Basket.Of("pear"), "alice");
        SessionId stale = await CreateIdAsync(store, Basket.Of("plum"), "alice");
        SessionId bobs = await CreateIdAsync(store, Basket.Of("fig"), "bob");
        StateRead mineRead = await registry.UseForOwnerAsync(mine, "alice", CancellationToken.None);
        StateRead staleRead = await registry.UseForOwnerAsync(stale, "alice", CancellationToken.None);
        StateRead bobsRead = await registry.UseForOwnerAsync(bobs, "bob", CancellationToken.None);
        await store.UpdateAsync(stale.ToString(), "alice", b => b.Add("kiwi"));
        byte[] grapes = Json(Basket.Of("grape"));
        _proxy.Sent.Clear();

        Task<Basket> first = await UseWithRepliesHeldAsync(store, blocker);
        Task<StateWrite> written = registry.WriteStateAsync(mine, "alice", mineRead.Version, grapes, CancellationToken.None).AsTask();
        Task<StateWrite> conflict = registry.WriteStateAsync(stale, "alice", staleRead.Version, grapes, CancellationToken.None).AsTask();
        Task<StateWrite> foreign = registry.WriteStateAsync(bobs, "mallory", bobsRead.Version, grapes, CancellationToken.None).AsTask();
        DataCommands().Should().Equal(["requests(u)"], "the writes wait while the first script is on its way");
        _proxy.ReleaseReplies();

        (await first).Items.Should().Equal("apple");
        StateWrite done = await written;
        done.Outcome.Should().Be(StateWriteOutcome.Written);
        done.Version.Should().Be(mineRead.Version + 1);
        StateWrite retry = await conflict;
        retry.Outcome.Should().Be(StateWriteOutcome.Conflict, "another update came after the version this write read");
        retry.Current.Version.Should().Be(staleRead.Version + 1);
        JsonSerializer.Deserialize(retry.Current.State, HandleJsonContext.Default.Basket)!.Items.Should().Equal(["plum", "kiwi"]);
        StateWrite refused = await foreign;
        refused.Outcome.Should().Be(StateWriteOutcome.NotLive, "another user's basket reads as unknown");
        refused.Current.Lookup.IsNotFound.Should().BeTrue();
        refused.Current.Foreign.Should().BeTrue();
        DataCommands().Should().Equal(["requests(u)", "requests(w,w,w)"], "three writes in one script");

        (await store.UseAsync(mine.ToString(), "alice")).Items.Should().Equal("grape");
        (await store.UseAsync(stale.ToString(), "alice")).Items.Should().Equal(["plum", "kiwi"], "the conflicting write changed nothing");
        (await store.UseAsync(bobs.ToString(), "bob")).Items.Should().Equal(["fig"], "another user's write changed nothing");
    }

    [Test]
    public async Task A_state_write_given_up_while_it_waits_is_never_sent_and_one_that_fails_in_a_shared_script_fails_alone()
    {
        RedisHandleStore<Basket> store = HandleStore();
        RedisSessionRegistry registry = store.Registry;
        string blocker = await store.CreateAsync(Basket.Of("apple"), "alice");
        SessionId fine = await CreateIdAsync(store, Basket.Of("pear"), "alice");
        SessionId broken = await CreateIdAsync(store, Basket.Of("plum"), "alice");
        StateRead fineRead = await registry.UseForOwnerAsync(fine, "alice", CancellationToken.None);
        await PutAStringAtAsync(HandleKey(store, broken.ToString()));
        byte[] grapes = Json(Basket.Of("grape"));
        byte[] figs = Json(Basket.Of("fig"));
        _proxy.Sent.Clear();

        Task<Basket> first = await UseWithRepliesHeldAsync(store, blocker);
        using (var giveUp = new CancellationTokenSource())
        {
            Task<StateWrite> abandoned = registry.WriteStateAsync(fine, "alice", fineRead.Version, figs, giveUp.Token).AsTask();
            await giveUp.CancelAsync();
            await FluentActions.Awaiting(() => abandoned).Should().ThrowAsync<OperationCanceledException>("its caller gave up before it was sent");
        }

        Task<StateWrite> failing = registry.WriteStateAsync(broken, "alice", 0, grapes, CancellationToken.None).AsTask();
        Task<StateWrite> passing = registry.WriteStateAsync(fine, "alice", fineRead.Version, grapes, CancellationToken.None).AsTask();
        _proxy.ReleaseReplies();

        (await first).Items.Should().Equal("apple");
        (await passing).Outcome.Should().Be(StateWriteOutcome.Written, "the other write in the same script is answered as if it had gone alone");
        (await FluentActions.Awaiting(() => failing).Should().ThrowAsync<SessionStoreUnavailableException>())
            .Which.Message.Should().Contain("WRONGTYPE").And.NotContain(broken.ToString());
        DataCommands().Should().Equal(["requests(u)", "requests(w,w)"], "the write given up is not in the second script");
        (await store.UseAsync(fine.ToString(), "alice")).Items.Should().Equal(["grape"], "only the write that was sent changed the basket");
    }

    [Test]
    public async Task A_handle_use_in_a_script_Redis_does_not_answer_in_time_fails_as_the_store_being_unavailable()
    {
        RedisHandleStore<Basket> store = HandleStore(operationTimeout: TimeSpan.FromMilliseconds(250));
        string basket = await store.CreateAsync(Basket.Of("apple"), "alice");

        _proxy.HoldReplies();
        await FluentActions.Awaiting(async () => await store.UseAsync(basket, "alice"))
            .Should().ThrowAsync<SessionStoreUnavailableException>();
        _proxy.ReleaseReplies();

        (await store.UseAsync(basket, "alice")).Items.Should().Equal(["apple"], "the lane goes on once Redis answers again");
    }

    // Alice's lease of a session, given up by its caller while it waits in the lane (behind a script whose replies are
    // held back): it fails at once with the cancellation.
    private static async Task GiveUpALeaseWhileItWaitsAsync(RedisSessionRegistry registry, SessionId id)
    {
        using var giveUp = new CancellationTokenSource();
        Task<SessionLease> abandoned = registry.BeginLeaseForOwnerAsync(id, "alice", giveUp.Token).AsTask();
        await giveUp.CancelAsync();
        await FluentActions.Awaiting(() => abandoned).Should().ThrowAsync<OperationCanceledException>();
    }

    // Alice's session (a new one unless given), leased, and its lease given back after heldFor while a lease of another
    // session is on its way with its reply held back: the release waits for the next script, and so does whatever the
    // test sends next.
    // first is the lease on its way; the commands logged start with it.
    private async Task<(SessionInfo Info, Task<SessionLease> First)> GiveALeaseBackBehindAScriptOnItsWayAsync(
        RedisSessionRegistry registry, NodaTime.Duration heldFor, SessionInfo? session = null)
    {
        SessionInfo info = session ?? await registry.CreateAsync(owner: "alice");
        SessionInfo blocker = await registry.CreateAsync(owner: "alice");
        SessionLease previous = await registry.BeginLeaseForOwnerAsync(info.Id, "alice");
        _proxy.Sent.Clear();
        _proxy.HoldReplies();
        Task<SessionLease> first = registry.BeginLeaseForOwnerAsync(blocker.Id, "alice").AsTask();
        (await Eventually.TrueAsync(() => Task.FromResult(DataCommands().Count == 1))).Should().BeTrue();
        _clock.Advance(heldFor);
        await previous.DisposeAsync();
        return (info, first);
    }

    // The session's next lease, by owner and once the clock moved on by after, made while its release still waits; then
    // the replies flow again and the lease on its way is answered first.
    private async Task<SessionLease> LeaseBehindTheReleaseAsync(
        RedisSessionRegistry registry, SessionId id, string owner, Task<SessionLease> first, NodaTime.Duration after)
    {
        _clock.Advance(after);
        Task<SessionLease> next = registry.BeginLeaseForOwnerAsync(id, owner).AsTask();
        _proxy.ReleaseReplies();
        (await first).IsHeld.Should().BeTrue();
        return await next;
    }

    private sealed class ThrowingClock(NodaTime.IClock inner) : NodaTime.IClock
    {
        public bool Throws { get; set; }

        public NodaTime.Instant GetCurrentInstant() =>
            Throws ? throw new InvalidOperationException("the clock failed") : inner.GetCurrentInstant();
    }

    // A registry on the connection through the proxy, in this test's key space.
    private RedisSessionRegistry Registry(TimeSpan? operationTimeout = null, NodaTime.IClock? clock = null)
    {
        var options = new RedisSessionStoreOptions { KeyPrefix = _prefix };
        if (operationTimeout is { } timeout)
        {
            options.OperationTimeout = timeout;
        }

        return new RedisSessionRegistry(_connection, new LimpsSessionsOptions(), options, clock ?? _clock);
    }

    // A basket store on the connection through the proxy, in this test's key space.
    private RedisHandleStore<Basket> HandleStore(TimeSpan? operationTimeout = null)
    {
        var options = new RedisSessionStoreOptions { KeyPrefix = _prefix };
        if (operationTimeout is { } timeout)
        {
            options.OperationTimeout = timeout;
        }

        var store = new RedisHandleStore<Basket>(_connection, HandleStoreHarness.BasketOptions(), HandleJsonContext.Default.Basket, options, _clock);
        _handleStores.Add(store);
        return store;
    }

    // Alice's use of a basket on its way to Redis with its reply held back: whatever the test sends next waits in the lane
    // for the next script.
    private async Task<Task<Basket>> UseWithRepliesHeldAsync(RedisHandleStore<Basket> store, string handle)
    {
        _proxy.HoldReplies();
        Task<Basket> use = store.UseAsync(handle, "alice").AsTask();
        (await Eventually.TrueAsync(() => Task.FromResult(DataCommands().Count == 1))).Should().BeTrue();
        return use;
    }

    // A basket created for an owner, as the id the registry takes.
    private static async Task<SessionId> CreateIdAsync(RedisHandleStore<Basket> store, Basket basket, string owner) =>
        SessionId.Parse(await store.CreateAsync(basket, owner));

    private static byte[] Json(Basket basket) => JsonSerializer.SerializeToUtf8Bytes(basket, HandleJsonContext.Default.Basket);

    // Something other than this library wrote a value of another type at a basket's key.
    private static async Task PutAStringAtAsync(RedisKey key)
    {
        await Direct().KeyDeleteAsync(key);
        await Direct().StringSetAsync(key, "not a hash");
    }

    private static RedisKey HandleKey(RedisHandleStore<Basket> store, string handle) =>
        new RedisKeys(store.KeyPrefix).Session(SessionId.Parse(handle));

    private static IDatabase Direct() => RedisTestServer.Connection.GetDatabase();

    private RedisKey SessionKey(SessionId id) => new RedisKeys(_prefix).Session(id);

    // The commands that read or write session data, by script name (connection upkeep such as PING is left out).
    private List<string> DataCommands()
    {
        Dictionary<string, string> names = RedisScripts.All.ToDictionary(s => Convert.ToHexStringLower(s.Script.Hash), s => s.Name);
        string[] upkeep = ["PING", "ECHO", "INFO", "CLIENT", "CLUSTER", "CONFIG", "SENTINEL", "SUBSCRIBE", "PSUBSCRIBE", "SELECT", "HELLO", "AUTH", "GET", "SCRIPT"];
        var data = new List<string>();
        IReadOnlyList<string> commands = _proxy.Sent.Commands;
        for (int index = 0; index < commands.Count; index++)
        {
            string command = commands[index];
            string[] parts = command.Split(' ');
            if (parts[0] == "EVALSHA")
            {
                string name = names.TryGetValue(parts[1], out string? known) ? known : "unknown script";
                data.Add(name == "requests" ? RequestsCalls(_proxy.Sent.Parts[index]) : name);
            }
            else if (!upkeep.Contains(parts[0]))
            {
                data.Add(parts[0]);
            }
        }

        return data;
    }

    // A request script named by the calls it carries, in order: "requests(r,b)" is a release, then a lease; h is a handover, u
    // a handle's use, w a handle's state write. Its parts are
    // EVALSHA, the digest, the key count, the keys, then ARGV: 13 common arguments, the count, and each call.
    private static string RequestsCalls(string[] parts)
    {
        int argv = 3 + int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture);
        int count = int.Parse(parts[argv + 13], System.Globalization.CultureInfo.InvariantCulture);
        var calls = new List<string>();
        int at = argv + 14;
        for (int i = 0; i < count; i++)
        {
            calls.Add(parts[at]);
            at += parts[at] switch { "r" => 4, "w" => 6, "h" => 7, _ => 5 };
        }

        return "requests(" + string.Join(',', calls) + ")";
    }
}
