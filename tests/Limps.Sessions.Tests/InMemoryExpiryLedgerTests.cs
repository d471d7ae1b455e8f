using NodaTime;
using NodaTime.Testing;

namespace Limps.Sessions.Tests;

public class InMemoryExpiryLedgerTests
{
    private static (InMemoryExpiryLedger Ledger, FakeClock Clock) Create(Action<LimpsSessionsOptions>? configure = null)
    {
        var options = new LimpsSessionsOptions { LedgerRetention = TimeSpan.FromHours(1) };
        configure?.Invoke(options);
        var clock = new FakeClock(TestTime.Start);
        return (new InMemoryExpiryLedger(options, clock), clock);
    }

    private static ExpiredSession Tombstone(SessionId id, Instant expiredAt, ExpiryReason? reason = null) =>
        new(id, reason ?? ExpiryReason.Closed, expiredAt, expiredAt - TestTime.Minutes(1));

    [Test]
    public async Task Unknown_and_empty_ids_are_not_found()
    {
        (InMemoryExpiryLedger ledger, _) = Create();
        await ledger.RecordAsync(Tombstone(SessionId.New(), TestTime.Start));

        (await ledger.FindAsync(SessionId.New())).Should().BeNull();
        (await ledger.FindAsync(default)).Should().BeNull();
    }

    [Test]
    public async Task Lookups_of_unknown_ids_never_add_entries()
    {
        (InMemoryExpiryLedger ledger, _) = Create();

        for (int i = 0; i < 1_000; i++)
        {
            (await ledger.FindAsync(SessionId.New())).Should().BeNull();
        }

        ledger.Count.Should().Be(0);
        (await ledger.PruneAsync()).Should().Be(0);
    }

    [Test]
    public async Task A_tombstone_is_answered_for_exactly_the_retention_after_it_expired()
    {
        (InMemoryExpiryLedger ledger, FakeClock clock) = Create(o => o.LedgerRetention = TimeSpan.FromHours(1));
        SessionId id = SessionId.New();

        // Recorded late (as a sweep does for a timeout): retention still counts from ExpiredAt.
        Instant expiredAt = TestTime.Start;
        clock.Advance(TestTime.Minutes(10));
        await ledger.RecordAsync(Tombstone(id, expiredAt, ExpiryReason.Timeout));

        clock.Advance(Duration.FromHours(1) - TestTime.Minutes(10) - TestTime.OneTick);
        clock.GetCurrentInstant().Should().Be(expiredAt + Duration.FromHours(1) - TestTime.OneTick);
        (await ledger.FindAsync(id)).Should().NotBeNull();

        clock.Advance(TestTime.OneTick);
        (await ledger.FindAsync(id)).Should().BeNull();
    }

    [Test]
    public async Task Recording_a_tombstone_already_past_retention_keeps_nothing()
    {
        (InMemoryExpiryLedger ledger, FakeClock clock) = Create(o => o.LedgerRetention = TimeSpan.FromHours(1));
        SessionId id = SessionId.New();
        clock.Advance(Duration.FromHours(1));

        (await ledger.RecordAsync(Tombstone(id, TestTime.Start))).Should().BeFalse();

        (await ledger.FindAsync(id)).Should().BeNull();
        ledger.Count.Should().Be(0);
    }

    [Test]
    public async Task Retention_zero_keeps_nothing()
    {
        (InMemoryExpiryLedger ledger, _) = Create(o => o.LedgerRetention = TimeSpan.Zero);
        SessionId id = SessionId.New();

        (await ledger.RecordAsync(Tombstone(id, TestTime.Start))).Should().BeFalse();

        (await ledger.FindAsync(id)).Should().BeNull();
        ledger.Count.Should().Be(0);
    }

    [Test]
    public async Task Prune_removes_tombstones_past_retention_and_returns_how_many()
    {
        (InMemoryExpiryLedger ledger, FakeClock clock) = Create(o => o.LedgerRetention = TimeSpan.FromHours(1));
        SessionId[] old = [SessionId.New(), SessionId.New(), SessionId.New()];
        SessionId young = SessionId.New();
        foreach (SessionId id in old)
        {
            await ledger.RecordAsync(Tombstone(id, TestTime.Start));
        }

        clock.Advance(TestTime.Minutes(30));
        await ledger.RecordAsync(Tombstone(young, clock.GetCurrentInstant()));

        (await ledger.PruneAsync()).Should().Be(0);
        ledger.Count.Should().Be(4);

        clock.Advance(TestTime.Minutes(30));
        ledger.Count.Should().Be(4, "nothing is dropped before a prune or a write");

        (await ledger.PruneAsync()).Should().Be(3);
        ledger.Count.Should().Be(1);
        (await ledger.FindAsync(young)).Should().NotBeNull();
        foreach (SessionId id in old)
        {
            (await ledger.FindAsync(id)).Should().BeNull();
        }

        (await ledger.PruneAsync()).Should().Be(0);
        clock.Advance(TestTime.Minutes(30));
        (await ledger.PruneAsync()).Should().Be(1);
        ledger.Count.Should().Be(0);
    }

    [Test]
    public async Task Recording_drops_tombstones_past_retention_from_the_head()
    {
        (InMemoryExpiryLedger ledger, FakeClock clock) = Create(o => o.LedgerRetention = TimeSpan.FromHours(1));
        await ledger.RecordAsync(Tombstone(SessionId.New(), TestTime.Start));
        await ledger.RecordAsync(Tombstone(SessionId.New(), TestTime.Start));

        clock.Advance(Duration.FromHours(2));
        await ledger.RecordAsync(Tombstone(SessionId.New(), clock.GetCurrentInstant()));

        ledger.Count.Should().Be(1);
    }

    [Test]
    public async Task Recording_the_same_id_again_replaces_the_tombstone()
    {
        (InMemoryExpiryLedger ledger, FakeClock clock) = Create(o => o.MaxLedgerEntries = 2);
        SessionId id = SessionId.New();
        SessionId other = SessionId.New();

        await ledger.RecordAsync(Tombstone(id, clock.GetCurrentInstant(), ExpiryReason.Closed));
        clock.Advance(TestTime.Minutes(1));
        ExpiredSession newer = Tombstone(id, clock.GetCurrentInstant(), ExpiryReason.Deleted);
        await ledger.RecordAsync(newer);

        ledger.Count.Should().Be(1);
        (await ledger.FindAsync(id)).Should().Be(newer);

        // The replaced entry must not count against capacity nor evict the newer one when it reaches the head.
        await ledger.RecordAsync(Tombstone(other, clock.GetCurrentInstant()));
        ledger.Count.Should().Be(2);
        (await ledger.FindAsync(id)).Should().Be(newer);
        (await ledger.FindAsync(other)).Should().NotBeNull();
    }

    [Test]
    public async Task A_replaced_tombstone_is_pruned_by_the_newer_ones_retention()
    {
        (InMemoryExpiryLedger ledger, FakeClock clock) = Create(o => o.LedgerRetention = TimeSpan.FromHours(1));
        SessionId id = SessionId.New();
        await ledger.RecordAsync(Tombstone(id, TestTime.Start));
        clock.Advance(TestTime.Minutes(30));
        ExpiredSession newer = Tombstone(id, clock.GetCurrentInstant());
        await ledger.RecordAsync(newer);

        clock.Advance(TestTime.Minutes(45));
        (await ledger.PruneAsync()).Should().Be(0, "only the replaced, older entry is past retention");
        (await ledger.FindAsync(id)).Should().Be(newer);
        ledger.Count.Should().Be(1);

        clock.Advance(TestTime.Minutes(15));
        (await ledger.PruneAsync()).Should().Be(1);
        ledger.Count.Should().Be(0);
    }

    [Test]
    public async Task A_tombstone_recorded_behind_a_younger_one_is_still_answered_exactly()
    {
        (InMemoryExpiryLedger ledger, FakeClock clock) = Create(o => o.LedgerRetention = TimeSpan.FromHours(1));
        SessionId young = SessionId.New();
        SessionId old = SessionId.New();
        clock.Advance(TestTime.Minutes(30));
        await ledger.RecordAsync(Tombstone(young, clock.GetCurrentInstant()));
        await ledger.RecordAsync(Tombstone(old, TestTime.Start));

        clock.Advance(TestTime.Minutes(30));

        (await ledger.FindAsync(old)).Should().BeNull("its retention passed even though it is not at the head");
        (await ledger.FindAsync(young)).Should().NotBeNull();
    }

    [Test]
    public void Record_rejects_null() =>
        FluentActions.Awaiting(async () => await Create().Ledger.RecordAsync(null!))
            .Should().ThrowAsync<ArgumentNullException>();

    [Test]
    public async Task Many_tombstones_stay_within_capacity()
    {
        (InMemoryExpiryLedger ledger, FakeClock clock) = Create(o => o.MaxLedgerEntries = 100);
        var ids = new List<SessionId>();
        for (int i = 0; i < 10_000; i++)
        {
            SessionId id = SessionId.New();
            ids.Add(id);
            await ledger.RecordAsync(Tombstone(id, clock.GetCurrentInstant()));
            clock.Advance(TestTime.OneTick);
        }

        ledger.Count.Should().Be(100);
        int found = 0;
        foreach (SessionId id in ids)
        {
            if (await ledger.FindAsync(id) is not null)
            {
                found++;
            }
        }

        found.Should().Be(100);
        (await ledger.FindAsync(ids[^1])).Should().NotBeNull();
        (await ledger.FindAsync(ids[^101])).Should().BeNull();
    }

    [Test]
    public async Task The_owner_is_kept_and_one_copy_of_each_owner_string_is_shared_by_its_tombstones()
    {
        (InMemoryExpiryLedger ledger, FakeClock clock) = Create();
        SessionId first = SessionId.New();
        SessionId second = SessionId.New();
        SessionId anonymous = SessionId.New();

        // Each session usually brings its own copy of its owner's key (one is built per request).
        await ledger.RecordAsync(new ExpiredSession(first, ExpiryReason.Deleted, clock.GetCurrentInstant(), TestTime.Start, new string("alice".ToCharArray())));
        await ledger.RecordAsync(new ExpiredSession(second, ExpiryReason.Timeout, clock.GetCurrentInstant(), TestTime.Start, new string("alice".ToCharArray())));
        await ledger.RecordAsync(new ExpiredSession(anonymous, ExpiryReason.Closed, clock.GetCurrentInstant(), TestTime.Start));

        ExpiredSession a = (await ledger.FindAsync(first))!;
        ExpiredSession b = (await ledger.FindAsync(second))!;
        a.Owner.Should().Be("alice");
        b.Owner.Should().BeSameAs(a.Owner, "tombstones of one owner share one string");
        (await ledger.FindAsync(anonymous))!.Owner.Should().BeNull();
    }

    [Test]
    public async Task Many_distinct_owners_are_all_kept_right()
    {
        (InMemoryExpiryLedger ledger, FakeClock clock) = Create(o => o.MaxLedgerEntries = 20_000);
        var ids = Enumerable.Range(0, 10_000).Select(_ => SessionId.New()).ToArray();
        for (int i = 0; i < ids.Length; i++)
        {
            await ledger.RecordAsync(new ExpiredSession(ids[i], ExpiryReason.Closed, clock.GetCurrentInstant(), TestTime.Start, "user" + i));
        }

        for (int i = 0; i < ids.Length; i++)
        {
            (await ledger.FindAsync(ids[i]))!.Owner.Should().Be("user" + i);
        }
    }

    [Test]
    public async Task A_session_ended_by_the_in_memory_registry_leaves_a_tombstone_with_its_owner()
    {
        var clock = new FakeClock(TestTime.Start);
        var options = new LimpsSessionsOptions();
        var ledger = new InMemoryExpiryLedger(options, clock);
        using var registry = new InMemorySessionRegistry(options, clock, ledger);
        SessionInfo owned = await registry.CreateAsync(owner: "alice");
        SessionInfo anonymous = await registry.CreateAsync();

        await registry.EndAsync(owned.Id, ExpiryReason.Deleted);
        clock.Advance(TestTime.Minutes(31));
        await registry.SweepAsync();

        (await ledger.FindAsync(owned.Id))!.Owner.Should().Be("alice");
        (await registry.LookupAsync(owned.Id)).Expiry.Owner.Should().Be("alice");
        (await ledger.FindAsync(anonymous.Id))!.Owner.Should().BeNull();
    }
}
