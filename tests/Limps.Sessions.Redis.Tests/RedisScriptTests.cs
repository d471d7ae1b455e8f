using System.Text;
using Limps.Sessions.Redis.Tests.Infrastructure;
using NodaTime;
using NodaTime.Testing;
using StackExchange.Redis;

namespace Limps.Sessions.Redis.Tests;

/// <summary>
/// Each Lua script of the store run on its own against the real redis-server, as the registry sends it (embedded
/// resource, prelude in front, common arguments built by the store), with its keys and answer checked.
/// </summary>
[CancelAfter(30_000)]
public class RedisScriptTests
{
    private FakeClock _clock = null!;
    private string _prefix = null!;
    private IDatabase _db = null!;
    private RedisSessionStore _store = null!;

    [SetUp]
    public void SetUp()
    {
        _clock = new FakeClock(TestTime.Start);
        _prefix = RedisTestServer.NewPrefix();
        _db = RedisTestServer.Connection.GetDatabase();
        _store = new RedisSessionStore(
            RedisTestServer.Connection,
            new LimpsSessionsOptions(),
            new RedisSessionStoreOptions { KeyPrefix = _prefix, LeaseHolderTimeout = TimeSpan.FromMinutes(1), AnnounceEnds = true },
            _clock);
    }

    [Test]
    public async Task Every_script_is_an_embedded_resource_behind_the_prelude_and_Redis_caches_it_under_its_digest()
    {
        string prelude = ResourceText("prelude");
        string lifecycle = ResourceText("lifecycle");
        string accessFunction = ResourceText("access-function");
        string releaseFunction = ResourceText("release-function");
        string writeFunction = ResourceText("write-function");
        IServer server = RedisTestServer.Connection.GetServer(RedisTestServer.Server.Endpoint);
        string[] resources = typeof(RedisScripts).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("Limps.Sessions.Redis.Scripts.", StringComparison.Ordinal) && n.EndsWith(".lua", StringComparison.Ordinal))
            .Select(n => n["Limps.Sessions.Redis.Scripts.".Length..^".lua".Length])
            .Where(n => n is not "prelude" and not "lifecycle" and not "access-function" and not "release-function" and not "write-function")
            .ToArray();
        RedisScripts.All.Select(s => s.Name).Should().OnlyHaveUniqueItems().And.BeEquivalentTo(resources, "every script shipped is one the store runs");
        foreach ((string name, RedisScript script) in RedisScripts.All)
        {
            string expected = name switch
            {
                // The light scripts, which run on every request or every renewal, carry no lifecycle helpers.
                "renew" => prelude,
                "release" => prelude + releaseFunction,
                "access" => prelude + lifecycle + accessFunction,
                "requests" => prelude + lifecycle + accessFunction + releaseFunction + writeFunction,
                _ => prelude + lifecycle,
            };
            script.Text.Should().Be(expected + ResourceText(name), name);
            byte[] digest = await server.ScriptLoadAsync(script.Text);
            digest.Should().Equal(script.Hash, name);
        }

        ReferenceEquals(RedisScripts.Load("access").Text, RedisScripts.Access.Text).Should().BeFalse("Load reads afresh");
        RedisScripts.Access.Should().BeSameAs(RedisScripts.All[0].Script, "the registry's scripts are read once");
    }

    [Test]
    public async Task Create_writes_the_hash_schedules_the_deadline_and_refuses_a_live_id_or_a_full_store()
    {
        SessionId id = SessionId.New();
        RedisResult[] created = await Create(id, owner: "alice", incarnation: "g1", max: 2);
        created.Select(r => (string?)r).Should().Equal("1", Micros(TestTime.Start).ToString(System.Globalization.CultureInfo.InvariantCulture), "0");
        HashEntry[] hash = await _db.HashGetAllAsync(SessionKey(id));
        hash.ToDictionary(e => (string)e.Name!, e => (string?)e.Value).Should().BeEquivalentTo(new Dictionary<string, string?>
        {
            ["c"] = Micros(TestTime.Start).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["a"] = Micros(TestTime.Start).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["n"] = "0",
            ["g"] = "g1",
            ["o"] = "alice",
        });
        (await _db.SortedSetScoreAsync(new RedisKeys(_prefix).Deadlines(0), id.ToString())).Should().Be(Micros(TestTime.Start + TestTime.Minutes(30)));

        ((long)(await Create(id, null, "g2", 2))[0]).Should().Be(0, "a live session has the id");
        await Create(SessionId.New(), null, "g3", 2);
        ((long)(await Create(SessionId.New(), null, "g4", 2))[0]).Should().Be(-1, "at capacity");
    }

    [Test]
    public async Task A_lease_is_a_token_with_an_expiry_in_Redis_time_written_once_however_often_it_is_sent()
    {
        SessionId id = SessionId.New();
        await Create(id, null, "g", 10);
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        RedisResult[] first = await Access(id, "b", "tok");
        RedisResult[] again = await Access(id, "b", "tok");

        ((long)first[0]).Should().Be(1);
        ((long)again[0]).Should().Be(1);
        (await _db.HashGetAsync(SessionKey(id), "n")).Should().Be(1, "the same token sent twice is one lease");
        long expiresAt = (long)await _db.HashGetAsync(SessionKey(id), "l:tok");
        expiresAt.Should().BeInRange(before + 60_000 - 1_000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 60_000 + 1_000);
    }

    [Test]
    public async Task An_owner_checked_lease_counts_each_new_token_once_and_leaves_another_owners_session_untouched()
    {
        SessionId id = SessionId.New();
        await Create(id, "alice", "g", 10);
        _clock.Advance(TestTime.Minutes(1));
        RedisResult[] first = await LeaseFor(id, "alice", "t1");
        RedisResult[] again = await LeaseFor(id, "alice", "t1");
        RedisResult[] second = await LeaseFor(id, "alice", "t2");
        RedisResult[] theirs = await LeaseFor(id, "bob", "t3");

        ((long)first[0]).Should().Be(1);
        first.Should().HaveCount(4, "the owner-checked caller gets the short answer");
        ((long)first[2]).Should().Be(Micros(TestTime.Start + TestTime.Minutes(1)), "the lease records the activity");
        ((long)again[0]).Should().Be(1);
        ((long)second[0]).Should().Be(1);
        ((long)theirs[0]).Should().Be(3, "another owner's session is answered as such");
        (await _db.HashGetAsync(SessionKey(id), "n")).Should().Be(2, "a token sent twice is one lease");
        (await _db.HashExistsAsync(SessionKey(id), "l:t3")).Should().BeFalse("another owner's session is not leased");
        (await _db.HashGetAsync(SessionKey(id), "a")).Should().Be(Micros(TestTime.Start + TestTime.Minutes(1)));
        (await _db.KeyTimeToLiveAsync(SessionKey(id))).Should().NotBeNull("a leased session's keys still expire");
    }

    [Test]
    public async Task A_lease_on_a_session_hash_without_a_count_counts_from_zero_and_a_repeated_token_adds_none()
    {
        SessionId id = SessionId.New();
        await Create(id, null, "g", 10);
        await _db.HashDeleteAsync(SessionKey(id), "n");

        await Access(id, "b", "t1");
        (await _db.HashGetAsync(SessionKey(id), "n")).Should().Be(1);

        await _db.HashDeleteAsync(SessionKey(id), "n");
        ((long)(await Access(id, "b", "t1"))[0]).Should().Be(1);
        (await _db.HashExistsAsync(SessionKey(id), "n")).Should().BeFalse("a repeated token writes no count");
    }

    [Test]
    public async Task Release_takes_one_token_once_and_restarts_the_idle_clock()
    {
        SessionId id = SessionId.New();
        await Create(id, null, "g", 10);
        await Access(id, "b", "t1");
        await Access(id, "b", "t2");
        _clock.Advance(TestTime.Minutes(5));

        ((long)await Run(RedisScripts.Release, SessionKey(id), id.ToString(), "t1")).Should().Be(1);
        ((long)await Run(RedisScripts.Release, SessionKey(id), id.ToString(), "t1")).Should().Be(0, "a repeated release changes nothing");
        ((long)await Run(RedisScripts.Release, SessionKey(id), id.ToString(), "nobody's")).Should().Be(0);

        (await _db.HashGetAsync(SessionKey(id), "n")).Should().Be(1);
        (await _db.HashExistsAsync(SessionKey(id), "l:t2")).Should().BeTrue();
        (await _db.HashGetAsync(SessionKey(id), "a")).Should().Be(Micros(TestTime.Start + TestTime.Minutes(5)));
    }

    [Test]
    public async Task The_request_path_writes_and_answers_instants_as_exact_decimal_integers()
    {
        // Instants are microseconds since 1970 (16 digits), past what Lua prints exactly by itself (14 significant
        // digits): every one must reach Redis and the caller digit for digit, never in exponent form or rounded.
        SessionId id = SessionId.New();
        await Create(id, "alice", "g", 10);
        _clock.Advance(Duration.FromTicks(1_234_567_891));
        // Activity is written rounded up to the microsecond (never earlier than it happened).
        string leasedAt = RedisSessionStore.ToMicrosUp(_clock.GetCurrentInstant()).ToString(System.Globalization.CultureInfo.InvariantCulture);

        RedisResult[] lease = await LeaseFor(id, "alice", "t1");

        ((string?)lease[2]).Should().Be(leasedAt, "the short answer carries the lease's activity");
        ((string?)await _db.HashGetAsync(SessionKey(id), "a")).Should().Be(leasedAt);
        ((string?)await _db.HashGetAsync(SessionKey(id), "l:t1")).Should().MatchRegex("^[0-9]{13}$", "a lease's expiry is Redis milliseconds");
        TimeSpan ttl = new LimpsSessionsOptions().IdleTimeout + new RedisSessionStoreOptions().Grace;
        (await _db.KeyTimeToLiveAsync(SessionKey(id))).Should().BeCloseTo(ttl, TimeSpan.FromSeconds(5), "the keys live to the idle deadline plus the grace");

        _clock.Advance(Duration.FromTicks(7_654_321));
        string releasedAt = RedisSessionStore.ToMicrosUp(_clock.GetCurrentInstant()).ToString(System.Globalization.CultureInfo.InvariantCulture);
        ((long)await Run(RedisScripts.Release, SessionKey(id), id.ToString(), "t1")).Should().Be(1);
        ((string?)await _db.HashGetAsync(SessionKey(id), "a")).Should().Be(releasedAt, "the release restarts the idle clock there");
        ((string?)await _db.HashGetAsync(SessionKey(id), "n")).Should().Be("0");
    }

    [Test]
    public async Task A_handle_use_answers_its_state_and_version_short_to_its_owner_and_in_full_otherwise()
    {
        SessionId id = SessionId.New();
        await Create(id, owner: "alice", incarnation: "g1", max: 10);
        await _db.HashSetAsync(SessionKey(id), [new HashEntry("st", "{\"items\":[\"apple\"]}"), new HashEntry("sv", 3)]);
        string created = Micros(TestTime.Start).ToString(System.Globalization.CultureInfo.InvariantCulture);

        // ARGV 18-22: owner check, has owner, owner, handles, short answer.
        var forOwner = (RedisResult[])(await Run(RedisScripts.Access, SessionKey(id), id.ToString(), "t", 0, string.Empty, "c", 1, "alice", 1, 1))!;
        forOwner.Select(r => (string?)r).Should().Equal(["1", created, created, "{\"items\":[\"apple\"]}", "3"],
            "the request path's use: created, last active, state, version; the owner is the caller's");

        var full = (RedisResult[])(await Run(RedisScripts.Access, SessionKey(id), id.ToString(), "t", 0, string.Empty, "c", 1, "alice", 1, 0))!;
        full.Select(r => (string?)r).Should().Equal(["1", created, created, "alice", "1", string.Empty, "g1", "{\"items\":[\"apple\"]}", "3"]);

        var foreign = (RedisResult[])(await Run(RedisScripts.Access, SessionKey(id), id.ToString(), "t", 0, string.Empty, "c", 1, "mallory", 1, 1))!;
        foreign.Select(r => (long)r).Should().Equal([3L], "another owner's handle: no state");
    }

    [Test]
    public async Task A_state_write_replaces_only_the_version_read_and_only_for_its_owner()
    {
        SessionId id = SessionId.New();
        await Create(id, owner: "alice", incarnation: "g1", max: 10);
        await _db.HashSetAsync(SessionKey(id), [new HashEntry("st", "{\"items\":[\"apple\"]}"), new HashEntry("sv", 3)]);
        _clock.Advance(Duration.FromSeconds(5));

        Task<RedisResult[]> Write(string expected, string state, string owner) => WriteState(id, expected, state, owner);
        await _db.KeyExpireAsync(SessionKey(id), TimeSpan.FromMinutes(1));

        (await Write("3", "{}", "mallory")).Select(r => (long)r).Should().Equal([3L], "another owner's handle reads as unknown");
        (await WriteState(id, "3", "{}", owner: null)).Select(r => (long)r).Should().Equal([3L], "so does an owned one to a caller without one");
        (await Write("2", "{}", "alice")).Select(r => (string?)r).Should().Equal(
            ["4", "{\"items\":[\"apple\"]}", "3"], "a conflict answers the state and version now stored");
        (await _db.HashGetAsync(SessionKey(id), "st")).Should().Be("{\"items\":[\"apple\"]}", "neither call wrote");
        (await _db.HashGetAsync(SessionKey(id), "a")).Should().Be(Micros(TestTime.Start), "neither call counted as activity");

        (await Write("3", "{\"items\":[]}", "alice")).Select(r => (long)r).Should().Equal([1L, 4L], "the next version");
        (await _db.HashGetAsync(SessionKey(id), "st")).Should().Be("{\"items\":[]}");
        (await _db.HashGetAsync(SessionKey(id), "a")).Should().Be(Micros(_clock.GetCurrentInstant()), "a write is activity");
        (await _db.KeyTimeToLiveAsync(SessionKey(id))).Should().BeGreaterThan(
            TimeSpan.FromMinutes(39), "its keys live until the new deadline (30 min idle) plus the grace (10 min)");
    }

    [Test]
    public async Task A_state_write_to_an_overdue_handle_ends_it_and_one_without_an_owner_is_written_only_by_a_caller_without_one()
    {
        SessionId overdue = SessionId.New();
        SessionId ownerless = SessionId.New();
        await Create(overdue, owner: "alice", incarnation: "g1", max: 10);
        _clock.Advance(TestTime.Minutes(31));
        await Create(ownerless, owner: null, incarnation: "g2", max: 10);

        RedisResult[] ended = await WriteState(overdue, "0", "{}", "alice");
        ((long)ended[0]).Should().Be(2, "the write found it overdue and ended it");
        ((string?)ended[1]).Should().Be("timeout");
        (await _db.KeyExistsAsync(SessionKey(overdue))).Should().BeFalse("nothing was written to it");
        (await Tombstone(overdue)).Should().Contain("r=timeout");

        (await WriteState(ownerless, "0", "{\"items\":[]}", "alice")).Select(r => (long)r).Should().Equal([3L], "a caller with an owner does not own it");
        (await _db.HashExistsAsync(SessionKey(ownerless), "st")).Should().BeFalse();
        (await WriteState(ownerless, "0", "{\"items\":[]}", owner: null)).Select(r => (long)r).Should().Equal([1L, 1L]);
        (await _db.HashGetAsync(SessionKey(ownerless), "st")).Should().Be("{\"items\":[]}");
    }

    [Test]
    public async Task Renew_moves_on_the_tokens_still_there_and_answers_how_many()
    {
        SessionId id = SessionId.New();
        await Create(id, null, "g", 10);
        await Access(id, "b", "t1");
        await _db.HashSetAsync(SessionKey(id), "l:t1", 5);

        ((long)await Run(RedisScripts.Renew, SessionKey(id), id.ToString(), "t1", "gone")).Should().Be(1);
        ((long)await _db.HashGetAsync(SessionKey(id), "l:t1")).Should().BeGreaterThan(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 50_000);
        (await _db.HashExistsAsync(SessionKey(id), "l:gone")).Should().BeFalse("a renewal never creates a lease");
        ((long)await Run(RedisScripts.Renew, SessionKey(SessionId.New()), SessionId.New().ToString(), "t1")).Should().Be(0);
    }

    [Test]
    public async Task A_lapsed_lease_no_longer_holds_the_session_and_the_idle_clock_restarts_when_it_is_noticed()
    {
        SessionId id = SessionId.New();
        await Create(id, null, "g", 10);
        RedisValue[] shortLease = _store.Arguments(0, 4);
        shortLease[12] = 1; // the lease lives 1 ms of Redis's time
        shortLease[RedisSessionStore.Own(0)] = id.ToString();
        shortLease[RedisSessionStore.Own(1)] = "b";
        shortLease[RedisSessionStore.Own(2)] = 0;
        shortLease[RedisSessionStore.Own(3)] = "orphan";
        await _db.ScriptEvaluateAsync(RedisScripts.Access.Text, [SessionKey(id)], shortLease);
        _clock.Advance(TestTime.Minutes(31));

        // A sweep that found the lease still alive would put the session off by the recheck interval of the fake clock,
        // which does not move here: so the sweep runs once Redis's own clock has passed the lease's expiry.
        long expiresAt = (long)await _db.HashGetAsync(SessionKey(id), "l:orphan");
        (await Eventually.TrueAsync(async () => await RedisMillisecondsAsync() > expiresAt)).Should().BeTrue();
        await Run(RedisScripts.Sweep, new RedisKeys(_prefix).Deadlines(0), 100);
        (await _db.HashExistsAsync(SessionKey(id), "l:orphan")).Should().BeFalse("once Redis's clock has passed the lease's expiry, the sweep drops it");
        (await _db.HashGetAsync(SessionKey(id), "n")).Should().Be(0);
        (await _db.HashGetAsync(SessionKey(id), "a")).Should().Be(Micros(_clock.GetCurrentInstant()), "the idle clock restarted when it was noticed");
        _clock.Advance(TestTime.Minutes(30));
        RedisResult[] swept = (RedisResult[])(await Run(RedisScripts.Sweep, new RedisKeys(_prefix).Deadlines(0), 100))!;
        ((string?)swept[1]).Should().Be(id.ToString());
    }

    [Test]
    public async Task Abandon_takes_back_only_the_given_incarnation_and_only_while_unused()
    {
        SessionId unused = SessionId.New();
        SessionId touched = SessionId.New();
        SessionId leased = SessionId.New();
        await Create(unused, null, "g1", 10);
        await Create(touched, null, "g2", 10);
        await Create(leased, null, "g3", 10);
        _clock.Advance(Duration.FromSeconds(5));
        await Access(touched, "t", string.Empty);
        await Access(leased, "b", "tok");

        ((long)await Run(RedisScripts.Abandon, SessionKey(unused), unused.ToString(), "other")).Should().Be(0);
        ((long)await Run(RedisScripts.Abandon, SessionKey(unused), unused.ToString(), "g1")).Should().Be(1);
        ((long)await Run(RedisScripts.Abandon, SessionKey(touched), touched.ToString(), "g2")).Should().Be(0);
        ((long)await Run(RedisScripts.Abandon, SessionKey(leased), leased.ToString(), "g3")).Should().Be(0);

        (await _db.KeyExistsAsync(SessionKey(unused))).Should().BeFalse();
        (await _db.KeyExistsAsync(TombstoneKey(unused))).Should().BeFalse("nobody knew of it: no tombstone");
        (await _db.SortedSetScoreAsync(new RedisKeys(_prefix).Deadlines(0), unused.ToString())).Should().BeNull();
        (await _db.KeyExistsAsync(SessionKey(touched))).Should().BeTrue();
        (await _db.KeyExistsAsync(SessionKey(leased))).Should().BeTrue();
    }

    [Test]
    public async Task End_keeps_the_owner_in_the_tombstone_answers_it_and_announces_it()
    {
        SessionId id = SessionId.New();
        string owner = "user\nwith \u001F odd bytes é";
        await Create(id, owner, "g", 10);
        var heard = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        ISubscriber subscriber = RedisTestServer.Connection.GetSubscriber();
        RedisChannel channel = RedisChannel.Literal(_prefix + "ended");
        await subscriber.SubscribeAsync(channel, (_, message) => heard.TrySetResult((byte[])message!));

        RedisResult[] reply = (RedisResult[])(await Run(RedisScripts.End, SessionKey(id), id.ToString(), "revoked", "Revoked by an admin."))!;

        reply.Select(r => (string?)r).Should().Equal(
            "1", "revoked", "Revoked by an admin.", Micros(TestTime.Start).ToString(System.Globalization.CultureInfo.InvariantCulture),
            Micros(TestTime.Start).ToString(System.Globalization.CultureInfo.InvariantCulture), "1", "1", owner, "1");
        (await _db.HashGetAsync(TombstoneKey(id), "o")).Should().Be(owner);
        (await _db.KeyExistsAsync(SessionKey(id))).Should().BeFalse();
        byte[] announcement = await heard.Task.WaitAsync(TimeSpan.FromSeconds(5));
        int ownerBytes = Encoding.UTF8.GetByteCount(owner);
        string expected = $"{_store.ReplicaId}\n{id}\nrevoked\n{Micros(TestTime.Start)}\n{Micros(TestTime.Start)}\n{ownerBytes}\n{owner}Revoked by an admin.";
        announcement.Should().Equal(Encoding.UTF8.GetBytes(expected));
        await subscriber.UnsubscribeAsync(channel);

        ((long)((RedisResult[])(await Run(RedisScripts.End, SessionKey(id), id.ToString(), "deleted", string.Empty))!)[0])
            .Should().Be(0, "first end wins");
    }

    [Test]
    public async Task Sweep_answers_each_ended_session_with_its_owner()
    {
        SessionId owned = SessionId.New();
        SessionId anonymous = SessionId.New();
        await Create(owned, "alice", "g1", 10);
        await Create(anonymous, null, "g2", 10);
        _clock.Advance(TestTime.Minutes(30));

        RedisResult[] reply = (RedisResult[])(await Run(RedisScripts.Sweep, new RedisKeys(_prefix).Deadlines(0), 100))!;

        ((long)reply[0]).Should().Be(2);
        var ended = Enumerable.Range(0, 2).Select(i => reply.Skip(1 + (i * 7)).Take(7).Select(r => (string?)r).ToArray()).ToList();
        string due = Micros(TestTime.Start + TestTime.Minutes(30)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        string last = Micros(TestTime.Start).ToString(System.Globalization.CultureInfo.InvariantCulture);
        ended.Should().ContainEquivalentOf(new[] { owned.ToString(), "timeout", due, last, "1", "alice", "1" });
        ended.Should().ContainEquivalentOf(new[] { anonymous.ToString(), "timeout", due, last, "1", string.Empty, "0" });
        (await _db.HashGetAsync(TombstoneKey(owned), "o")).Should().Be("alice");
        (await _db.HashExistsAsync(TombstoneKey(anonymous), "o")).Should().BeFalse();
    }

    [Test]
    public async Task Record_writes_a_tombstone_with_or_without_owner_and_prune_drops_it_past_retention()
    {
        SessionId owned = SessionId.New();
        SessionId anonymous = SessionId.New();
        long x = Micros(TestTime.Start);

        ((long)await Run(RedisScripts.Record, TombstoneKey(owned), owned.ToString(), "closed", string.Empty, x, x, 1, "bob")).Should().Be(1);
        ((long)await Run(RedisScripts.Record, TombstoneKey(anonymous), anonymous.ToString(), "closed", string.Empty, x, x, 0, string.Empty)).Should().Be(1);

        (await _db.HashGetAsync(TombstoneKey(owned), "o")).Should().Be("bob");
        (await _db.HashExistsAsync(TombstoneKey(anonymous), "o")).Should().BeFalse();
        (await _db.SortedSetLengthAsync(new RedisKeys(_prefix).Ledger(0))).Should().Be(2);
        _clock.Advance(Duration.FromHours(24));
        ((long)await Run(RedisScripts.Prune, new RedisKeys(_prefix).Ledger(0))).Should().Be(2);
        (await _db.KeyExistsAsync(TombstoneKey(owned))).Should().BeFalse();
    }

    // A handover (the request script's 'h') must leave a session exactly as its release and then its lease would, each
    // case on two identical sessions: one gets "r" then "b" in one script, the other the one "h".
    [TestCase("alice", false, false, true, 1, 1, TestName = "Handover: the holder's next lease")]
    [TestCase("alice", true, false, true, 1, 1, TestName = "Handover: another lease still held")]
    [TestCase("alice", false, true, true, 1, 1, TestName = "Handover: a hash without a count")]
    [TestCase("alice", false, false, false, 1, 1, TestName = "Handover: a token already released")]
    [TestCase("mallory", false, false, true, 1, 1, TestName = "Handover: another owner's lease")]
    [TestCase(null, false, false, true, 1, 1, TestName = "Handover: a lease without an owner")]
    [TestCase("alice", false, false, true, 40, 1, TestName = "Handover: overdue since the release")]
    [TestCase("alice", true, false, true, 40, 1, TestName = "Handover: overdue but another lease held")]
    [TestCase("alice", false, false, true, 1, -1, TestName = "Handover: given back before the last activity")]
    public async Task A_handover_leaves_a_session_exactly_as_its_release_and_then_its_lease_would(
        string? requester, bool otherHolder, bool countMissing, bool releasedKnown, int gapMinutes, int releasedAfterMinutes)
    {
        SessionId separate = SessionId.New();
        SessionId handedOver = SessionId.New();
        foreach (SessionId id in new[] { separate, handedOver })
        {
            await Create(id, "alice", "g", 10);
        }

        _clock.Advance(TestTime.Minutes(1));
        foreach (SessionId id in new[] { separate, handedOver })
        {
            await LeaseFor(id, "alice", "t1");
            if (otherHolder)
            {
                await LeaseFor(id, "alice", "t2");
            }

            if (countMissing)
            {
                await _db.HashDeleteAsync(SessionKey(id), "n");
            }
        }

        long releasedAt = Micros(TestTime.Start + TestTime.Minutes(1 + releasedAfterMinutes));
        _clock.Advance(TestTime.Minutes(gapMinutes));
        string released = releasedKnown ? "t1" : "gone";
        RedisValue hasOwner = requester is null ? 0 : 1;
        RedisValue owner = requester ?? string.Empty;

        var apart = (RedisResult[])(await Run(
            RedisScripts.Requests, SessionKey(separate), 2,
            "r", separate.ToString(), released, releasedAt,
            "b", separate.ToString(), "t3", hasOwner, owner))!;
        var together = (RedisResult[])(await Run(
            RedisScripts.Requests, SessionKey(handedOver), 1,
            "h", handedOver.ToString(), released, releasedAt, "t3", hasOwner, owner))!;

        Flatten(together[0]).Should().Equal(Flatten(apart[1]), "the handover answers as the lease after the release");
        (await Fields(handedOver)).Should().Equal(await Fields(separate));
        (await Tombstone(handedOver)).Should().Equal(await Tombstone(separate));
        TimeSpan? ttlTogether = await _db.KeyTimeToLiveAsync(SessionKey(handedOver));
        TimeSpan? ttlApart = await _db.KeyTimeToLiveAsync(SessionKey(separate));
        (ttlTogether is null).Should().Be(ttlApart is null);
        if (ttlTogether is { } together2 && ttlApart is { } apart2)
        {
            (together2 - apart2).Duration().Should().BeLessThan(TimeSpan.FromSeconds(1));
        }
    }

    // A session's fields, a lease by its token only (its expiry is in Redis's own time, a few ms apart between scripts).
    private async Task<string[]> Fields(SessionId id) =>
        [.. (await _db.HashGetAllAsync(SessionKey(id)))
            .Select(f => ((string)f.Name!).StartsWith("l:", StringComparison.Ordinal) ? $"{f.Name}" : $"{f.Name}={f.Value}")
            .Order(StringComparer.Ordinal)];

    private async Task<string[]> Tombstone(SessionId id) =>
        [.. (await _db.HashGetAllAsync(TombstoneKey(id))).Select(f => $"{f.Name}={f.Value}").Order(StringComparer.Ordinal)];

    private static string[] Flatten(RedisResult result) =>
        result.Resp2Type == ResultType.Array ? [.. ((RedisResult[])result!).SelectMany(Flatten)] : [result.ToString()];

    private static string ResourceText(string name)
    {
        using Stream stream = typeof(RedisScripts).Assembly.GetManifestResourceStream($"Limps.Sessions.Redis.Scripts.{name}.lua")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static long Micros(Instant instant) => instant.ToUnixTimeTicks() / 10;

    // Redis's own clock, in the milliseconds leases expire in.
    private async Task<long> RedisMillisecondsAsync()
    {
        var time = (RedisResult[])(await _db.ExecuteAsync("TIME"))!;
        return ((long)time[0] * 1000) + ((long)time[1] / 1000);
    }

    private RedisKey SessionKey(SessionId id) => new RedisKeys(_prefix).Session(id);

    private RedisKey TombstoneKey(SessionId id) => new RedisKeys(_prefix).Tombstone(id);

    private async Task<RedisResult[]> Create(SessionId id, string? owner, string incarnation, int max) =>
        (RedisResult[])(await Run(RedisScripts.Create, SessionKey(id), id.ToString(), owner ?? string.Empty, owner is null ? 0 : 1, string.Empty, incarnation, max))!;

    private async Task<RedisResult[]> Access(SessionId id, string mode, string token) =>
        (RedisResult[])(await Run(RedisScripts.Access, SessionKey(id), id.ToString(), mode, 0, token))!;

    // The request path's lease: owner-checked, the short answer (ARGV 18-22).
    private async Task<RedisResult[]> LeaseFor(SessionId id, string owner, string token) =>
        (RedisResult[])(await Run(RedisScripts.Access, SessionKey(id), id.ToString(), "b", 0, token, "c", 1, owner, 0, 1))!;

    // A handle's state write, as the request script's one 'w' call: id, expected version, state, has owner, owner.
    private async Task<RedisResult[]> WriteState(SessionId id, string expected, string state, string? owner) =>
        (RedisResult[])((RedisResult[])(await Run(
            RedisScripts.Requests, SessionKey(id), 1, "w", id.ToString(), expected, state, owner is null ? 0 : 1, owner ?? string.Empty))!)[0]!;

    private Task<RedisResult> Run(RedisScript script, RedisKey key, params RedisValue[] own)
    {
        RedisValue[] args = _store.Arguments(0, own.Length);
        own.CopyTo(args, RedisSessionStore.Own(0));
        return _store.EvaluateAsync(script, key, args, CancellationToken.None);
    }
}
