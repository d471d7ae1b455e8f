using Limps.Sessions.Redis.Tests.Infrastructure;
using NodaTime.Testing;

namespace Limps.Sessions.Redis.Tests;

/// <summary>The owner key travels with every end in Redis: tombstones, the registry's answers, announcements.</summary>
[CancelAfter(30_000)]
public class RedisTombstoneOwnerTests
{
    private readonly List<RedisSessionRegistry> _registries = [];
    private FakeClock _clock = null!;
    private string _prefix = null!;

    [SetUp]
    public void SetUp()
    {
        _clock = new FakeClock(TestTime.Start);
        _prefix = RedisTestServer.NewPrefix();
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
    public async Task The_ledger_keeps_the_owner_it_was_given_and_none_when_there_was_none()
    {
        RedisExpiryLedger ledger = Ledger();
        var owned = new ExpiredSession(SessionId.New(), ExpiryReason.Closed, TestTime.Start, TestTime.Start, "owner\u001Fwith separators");
        var anonymous = new ExpiredSession(SessionId.New(), ExpiryReason.Closed, TestTime.Start, TestTime.Start);
        var emptyOwner = new ExpiredSession(SessionId.New(), ExpiryReason.Closed, TestTime.Start, TestTime.Start, string.Empty);

        await ledger.RecordAsync(owned);
        await ledger.RecordAsync(anonymous);
        await ledger.RecordAsync(emptyOwner);

        (await ledger.FindAsync(owned.Id)).Should().Be(owned);
        (await ledger.FindAsync(anonymous.Id))!.Owner.Should().BeNull();
        (await ledger.FindAsync(emptyOwner.Id))!.Owner.Should().Be(string.Empty, "an empty owner is not the same as none");
    }

    [Test]
    public async Task Every_way_a_session_ends_keeps_its_owner_in_the_answer_the_tombstone_and_the_notification()
    {
        (RedisSessionRegistry registry, RecordingObserver observer) = Registry();
        RedisExpiryLedger ledger = Ledger();
        SessionInfo deleted = await registry.CreateAsync(owner: "alice");
        SessionInfo idle = await registry.CreateAsync(owner: "bob");
        SessionInfo lookedUpLate = await registry.CreateAsync(owner: "carol");
        SessionInfo anonymous = await registry.CreateAsync();

        await registry.EndAsync(deleted.Id, ExpiryReason.Deleted);
        _clock.Advance(TestTime.Minutes(30));
        (await registry.LookupAsync(lookedUpLate.Id)).Expiry.Owner.Should().Be("carol", "a lookup that ends an overdue session");
        await registry.SweepAsync();

        observer.EndedFor(deleted.Id).Single().Owner.Should().Be("alice");
        observer.EndedFor(idle.Id).Single().Owner.Should().Be("bob");
        observer.EndedFor(lookedUpLate.Id).Single().Owner.Should().Be("carol");
        observer.EndedFor(anonymous.Id).Single().Owner.Should().BeNull();
        (await ledger.FindAsync(deleted.Id))!.Owner.Should().Be("alice");
        (await registry.LookupAsync(idle.Id)).Expiry.Owner.Should().Be("bob");
        (await registry.LookupAsync(anonymous.Id)).Expiry.Owner.Should().BeNull();
    }

    [Test]
    public async Task An_end_announced_by_one_replica_reaches_the_others_with_its_owner_and_custom_reason()
    {
        (RedisSessionRegistry a, _) = Registry();
        (RedisSessionRegistry b, RecordingObserver onB) = Registry();
        var listener = new RedisEndAnnouncements(b, Microsoft.Extensions.Logging.Abstractions.NullLogger<RedisEndAnnouncements>.Instance);
        await listener.StartAsync(CancellationToken.None);
        try
        {
            string owner = "line\nbreak and \u001F é";
            SessionInfo owned = await a.CreateAsync(owner: owner);
            SessionInfo anonymous = await a.CreateAsync();

            await a.EndAsync(owned.Id, new RevokedReason());
            await a.EndAsync(anonymous.Id, ExpiryReason.Deleted);

            (await Eventually.TrueAsync(() => Task.FromResult(onB.EndedCountById.ContainsKey(anonymous.Id)))).Should().BeTrue();
            ExpiredSession heard = onB.EndedFor(owned.Id).Single();
            heard.Owner.Should().Be(owner);
            heard.Reason.Should().Be(new RevokedReason());
            heard.Reason.Description.Should().Be(new RevokedReason().Description);
            onB.EndedFor(anonymous.Id).Single().Owner.Should().BeNull();
        }
        finally
        {
            await listener.StopAsync(CancellationToken.None);
        }
    }

    private RedisExpiryLedger Ledger() =>
        new(RedisTestServer.Connection, new LimpsSessionsOptions(), new RedisSessionStoreOptions { KeyPrefix = _prefix }, _clock);

    private (RedisSessionRegistry Registry, RecordingObserver Observer) Registry()
    {
        var observer = new RecordingObserver();
        var registry = new RedisSessionRegistry(
            RedisTestServer.Connection, new LimpsSessionsOptions(), new RedisSessionStoreOptions { KeyPrefix = _prefix }, _clock, [observer]);
        _registries.Add(registry);
        return (registry, observer);
    }
}
