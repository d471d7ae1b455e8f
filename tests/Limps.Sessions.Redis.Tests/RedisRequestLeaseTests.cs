using Limps.Sessions.Redis.Tests.Infrastructure;
using NodaTime.Testing;
using StackExchange.Redis;

namespace Limps.Sessions.Redis.Tests;

/// <summary>
/// The request path's owner-checked lease on a real redis-server: its answer is the short one (the caller's owner,
/// the metadata read only when asked for), its token is this replica's, and its argument arrays are reused across
/// requests; none of that may show in what a caller sees or in what Redis keeps.
/// </summary>
[CancelAfter(60_000)]
public class RedisRequestLeaseTests
{
    private FakeClock _clock = null!;
    private string _prefix = null!;
    private IDatabase _direct = null!;
    private readonly List<RedisSessionRegistry> _registries = [];

    [SetUp]
    public void SetUp()
    {
        _clock = new FakeClock(TestTime.Start);
        _prefix = RedisTestServer.NewPrefix();
        _direct = RedisTestServer.Connection.GetDatabase();
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
    public async Task An_owner_checked_lease_carries_the_session_as_a_look_up_tells_it_metadata_included()
    {
        RedisSessionRegistry registry = Registry();
        var metadata = new Dictionary<string, string> { ["tenant"] = "acme", ["client"] = "inspector \"x\"\n", ["empty"] = string.Empty };
        SessionInfo created = await registry.CreateAsync(owner: "alice", metadata: metadata);
        _clock.Advance(TestTime.Minutes(3));

        await using SessionLease lease = await registry.BeginLeaseForOwnerAsync(created.Id, "alice");

        lease.IsHeld.Should().BeTrue();
        SessionInfo leased = lease.Lookup.Session;
        SessionInfo looked = (await registry.LookupAsync(created.Id)).Session;
        leased.Id.Should().Be(created.Id);
        leased.Owner.Should().Be("alice");
        leased.CreatedAt.Should().Be(created.CreatedAt);
        leased.LastActiveAt.Should().Be(TestTime.Start + TestTime.Minutes(3));
        leased.LastActiveAt.Should().Be(looked.LastActiveAt);
        leased.Metadata.Count.Should().Be(3);
        leased.Metadata["client"].Should().Be("inspector \"x\"\n");
        leased.Metadata.TryGetValue("empty", out string? empty).Should().BeTrue();
        empty.Should().BeEmpty();
        leased.Metadata.ContainsKey("missing").Should().BeFalse();
        leased.Metadata.OrderBy(pair => pair.Key, StringComparer.Ordinal)
            .Should().Equal(metadata.OrderBy(pair => pair.Key, StringComparer.Ordinal));
    }

    [Test]
    public async Task A_session_without_metadata_is_leased_with_none_and_an_anonymous_one_with_no_owner()
    {
        RedisSessionRegistry registry = Registry();
        SessionInfo created = await registry.CreateAsync();

        await using SessionLease lease = await registry.BeginLeaseForOwnerAsync(created.Id, owner: null);

        lease.IsHeld.Should().BeTrue();
        lease.Lookup.Session.Owner.Should().BeNull();
        lease.Lookup.Session.Metadata.Should().BeEmpty();
    }

    [Test]
    public async Task Metadata_that_is_not_an_object_of_strings_fails_the_lease_as_it_fails_a_look_up_and_leaves_no_lease()
    {
        RedisSessionRegistry registry = Registry();
        SessionInfo created = await registry.CreateAsync();
        await _direct.HashSetAsync(SessionKey(created.Id), "m", "{\"tenant\":42}");

        await FluentActions.Awaiting(() => registry.LookupAsync(created.Id).AsTask())
            .Should().ThrowAsync<System.Text.Json.JsonException>();
        await FluentActions.Awaiting(() => registry.BeginLeaseForOwnerAsync(created.Id, null).AsTask())
            .Should().ThrowAsync<System.Text.Json.JsonException>("the answer is checked when it arrives, not when it is read");
        (await _direct.HashGetAsync(SessionKey(created.Id), "n")).Should().Be(1, "the script had opened the lease");
        await registry.BeatAsync();
        (await _direct.HashGetAsync(SessionKey(created.Id), "n")).Should().Be(0, "a lease whose answer could not be read is given back");
        registry.LocalLeases.Should().Be(0);
    }

    [Test]
    public async Task Leases_of_two_replicas_on_one_session_never_share_a_token_and_all_are_released()
    {
        RedisSessionRegistry a = Registry();
        RedisSessionRegistry b = Registry();
        SessionInfo created = await a.CreateAsync(owner: "alice");

        var leases = new List<SessionLease>();
        for (int i = 0; i < 10; i++)
        {
            leases.Add(await a.BeginLeaseForOwnerAsync(created.Id, "alice"));
            leases.Add(await b.BeginLeaseForOwnerAsync(created.Id, "alice"));
        }

        IReadOnlyList<string> tokens = [.. a.HeldTokens(created.Id), .. b.HeldTokens(created.Id)];
        tokens.Should().HaveCount(20).And.OnlyHaveUniqueItems();
        (await _direct.HashGetAsync(SessionKey(created.Id), "n")).Should().Be(20);
        foreach (string token in tokens)
        {
            (await _direct.HashExistsAsync(SessionKey(created.Id), "l:" + token)).Should().BeTrue();
        }

        foreach (SessionLease lease in leases)
        {
            await lease.DisposeAsync();
        }

        (await Eventually.TrueAsync(async () => (long)await _direct.HashGetAsync(SessionKey(created.Id), "n") == 0))
            .Should().BeTrue("every release reached Redis");
        (await _direct.HashGetAllAsync(SessionKey(created.Id))).Select(entry => (string)entry.Name!)
            .Should().NotContain(name => name.StartsWith("l:", StringComparison.Ordinal));
    }

    [Test]
    public async Task Many_requests_at_once_on_sessions_of_different_owners_each_get_their_own_answer_and_release()
    {
        // The lease and release arguments are reused from one request to the next: a request must never send, or be
        // answered with, another's id, owner or token.
        RedisSessionRegistry registry = Registry();
        string?[] owners = ["alice", "bob", null, "carol"];
        var sessions = new List<SessionInfo>();
        for (int i = 0; i < 40; i++)
        {
            sessions.Add(await registry.CreateAsync(owner: owners[i % owners.Length]));
        }

        await Task.WhenAll(Enumerable.Range(0, 400).Select(async i =>
        {
            SessionInfo session = sessions[i % sessions.Count];
            string? caller = owners[(i / sessions.Count) % owners.Length];
            await using SessionLease lease = await registry.BeginLeaseForOwnerAsync(session.Id, caller);
            if (caller == session.Owner)
            {
                lease.IsHeld.Should().BeTrue();
                lease.Lookup.Session.Id.Should().Be(session.Id);
                lease.Lookup.Session.Owner.Should().Be(session.Owner);
            }
            else
            {
                lease.IsOwnerMismatch.Should().BeTrue();
            }
        }));

        registry.LocalLeases.Should().Be(0);
        (await Eventually.TrueAsync(async () =>
            {
                foreach (SessionInfo session in sessions)
                {
                    if ((long)await _direct.HashGetAsync(SessionKey(session.Id), "n") != 0)
                    {
                        return false;
                    }
                }

                return true;
            }))
            .Should().BeTrue("each release reached its own session");
        registry.PendingWrites.Should().Be(0);
        foreach (SessionInfo session in sessions)
        {
            (await registry.LookupAsync(session.Id)).Session.Owner.Should().Be(session.Owner);
        }
    }

    private RedisKey SessionKey(SessionId id) => new RedisKeys(_prefix).Session(id);

    private RedisSessionRegistry Registry()
    {
        var registry = new RedisSessionRegistry(
            RedisTestServer.Connection,
            new LimpsSessionsOptions { MaxSessions = 1_000 },
            new RedisSessionStoreOptions { KeyPrefix = _prefix },
            _clock);
        _registries.Add(registry);
        return registry;
    }
}
