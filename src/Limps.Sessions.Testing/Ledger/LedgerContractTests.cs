// Each test's name says what it proves; the names are the documentation of these public methods.
#pragma warning disable CS1591
using NodaTime;
using NodaTime.Testing;

namespace Limps.Sessions.Testing;

/// <summary>
/// The behaviour every <see cref="IExpiryLedger"/> owes its callers, run against each implementation. Subclass it in an
/// NUnit test project, mark the subclass <c>[TestFixture]</c> and return your ledger from <see cref="Create(FakeClock, LimpsSessionsOptions)"/>.
/// </summary>
public abstract class LedgerContractTests
{
    /// <summary>Creates a ledger on a fake clock at <see cref="TestTime.Start"/> (retention 1 hour unless configured).</summary>
    /// <param name="clock">The clock the ledger must read every instant from.</param>
    /// <param name="options">The options to create it with (retention and capacity).</param>
    /// <returns>A new, empty ledger.</returns>
    protected abstract IExpiryLedger Create(FakeClock clock, LimpsSessionsOptions options);

    /// <summary>
    /// Gets how the ledger enforces <see cref="LimpsSessionsOptions.MaxLedgerEntries"/>: <see cref="StoreCapacity.Exact"/>
    /// unless overridden. A ledger that keeps its capacity per partition returns <see cref="StoreCapacity.Partitioned"/>;
    /// the capacity tests then fill one partition (its share of the capacity, exactly, oldest recorded dropped first) and
    /// check that the other partitions keep theirs.
    /// </summary>
    protected virtual StoreCapacity Capacity => StoreCapacity.Exact;

    private (IExpiryLedger Ledger, FakeClock Clock) Create(Action<LimpsSessionsOptions>? configure = null)
    {
        var options = new LimpsSessionsOptions { LedgerRetention = TimeSpan.FromHours(1) };
        configure?.Invoke(options);
        var clock = new FakeClock(TestTime.Start);
        return (Create(clock, options), clock);
    }

    private static ExpiredSession Tombstone(SessionId id, Instant expiredAt, ExpiryReason? reason = null) =>
        new(id, reason ?? ExpiryReason.Closed, expiredAt, expiredAt - TestTime.Minutes(1));

    [Test]
    public async Task Records_and_finds_a_tombstone()
    {
        (IExpiryLedger ledger, _) = Create();
        SessionId id = SessionId.New();
        ExpiredSession tombstone = Tombstone(id, TestTime.Start, ExpiryReason.Deleted);

        (await ledger.RecordAsync(tombstone)).Should().BeTrue();

        (await ledger.FindAsync(id)).Should().Be(tombstone);
        (await ledger.CountAsync()).Should().Be(1);
    }

    [Test]
    public async Task Unknown_and_empty_ids_are_not_found_and_add_nothing()
    {
        (IExpiryLedger ledger, _) = Create();
        await ledger.RecordAsync(Tombstone(SessionId.New(), TestTime.Start));

        for (int i = 0; i < 50; i++)
        {
            (await ledger.FindAsync(SessionId.New())).Should().BeNull();
        }

        (await ledger.FindAsync(default)).Should().BeNull();
        (await ledger.CountAsync()).Should().Be(1);
    }

    [Test]
    public async Task A_tombstone_is_answered_for_exactly_the_retention_after_it_expired()
    {
        (IExpiryLedger ledger, FakeClock clock) = Create();
        SessionId id = SessionId.New();
        clock.Advance(TestTime.Minutes(10));
        await ledger.RecordAsync(Tombstone(id, TestTime.Start, ExpiryReason.Timeout));

        clock.Advance(Duration.FromHours(1) - TestTime.Minutes(10) - TestTime.OneTick);
        (await ledger.FindAsync(id)).Should().NotBeNull();

        clock.Advance(TestTime.OneTick);
        (await ledger.FindAsync(id)).Should().BeNull();
    }

    [Test]
    public async Task Past_retention_or_with_retention_zero_nothing_is_kept()
    {
        (IExpiryLedger ledger, FakeClock clock) = Create();
        clock.Advance(Duration.FromHours(1));
        SessionId late = SessionId.New();
        (await ledger.RecordAsync(Tombstone(late, TestTime.Start))).Should().BeFalse();
        (await ledger.FindAsync(late)).Should().BeNull();
        (await ledger.CountAsync()).Should().Be(0);

        (IExpiryLedger none, _) = Create(o => o.LedgerRetention = TimeSpan.Zero);
        SessionId id = SessionId.New();
        (await none.RecordAsync(Tombstone(id, TestTime.Start))).Should().BeFalse();
        (await none.FindAsync(id)).Should().BeNull();
        (await none.CountAsync()).Should().Be(0);
    }

    [Test]
    public async Task Past_capacity_the_oldest_recorded_are_dropped_first()
    {
        StoreCapacity capacity = Capacity;
        (IExpiryLedger ledger, FakeClock clock) = Create(o => o.MaxLedgerEntries = capacity.TotalFor(3));
        SessionId[] ids = [.. Enumerable.Range(0, 6).Select(_ => capacity.NewSessionIdIn(0))];

        for (int i = 0; i < ids.Length; i++)
        {
            (await ledger.RecordAsync(Tombstone(ids[i], clock.GetCurrentInstant()))).Should().BeTrue();
            (await ledger.CountAsync()).Should().Be(Math.Min(i + 1, 3));
            clock.Advance(Duration.FromSeconds(1));
        }

        for (int i = 0; i < 3; i++)
        {
            (await ledger.FindAsync(ids[i])).Should().BeNull($"tombstone {i} is among the oldest");
        }

        for (int i = 3; i < 6; i++)
        {
            (await ledger.FindAsync(ids[i])).Should().NotBeNull($"tombstone {i} is among the newest");
        }

        // Partitioned, the other partitions keep their own share: a full partition drops only its own oldest.
        SessionId[] others = [.. Enumerable.Range(1, capacity.Partitions - 1).Select(capacity.NewSessionIdIn)];
        foreach (SessionId other in others)
        {
            (await ledger.RecordAsync(Tombstone(other, clock.GetCurrentInstant()))).Should().BeTrue();
        }

        foreach (SessionId other in others)
        {
            (await ledger.FindAsync(other)).Should().NotBeNull();
        }

        for (int i = 3; i < 6; i++)
        {
            (await ledger.FindAsync(ids[i])).Should().NotBeNull($"tombstone {i} is in a partition no one else recorded in");
        }

        (await ledger.CountAsync()).Should().Be(3 + others.Length).And.BeLessThanOrEqualTo(capacity.TotalFor(3));
    }

    [Test]
    public async Task Capacity_drops_by_recording_order_not_by_expiry()
    {
        StoreCapacity capacity = Capacity;
        (IExpiryLedger ledger, _) = Create(o => o.MaxLedgerEntries = capacity.TotalFor(2));
        SessionId first = capacity.NewSessionIdIn(0);
        SessionId second = capacity.NewSessionIdIn(0);
        SessionId third = capacity.NewSessionIdIn(0);

        await ledger.RecordAsync(Tombstone(first, TestTime.Start));
        await ledger.RecordAsync(Tombstone(second, TestTime.Start - TestTime.Minutes(5)));
        await ledger.RecordAsync(Tombstone(third, TestTime.Start));

        (await ledger.FindAsync(first)).Should().BeNull();
        (await ledger.FindAsync(second)).Should().NotBeNull();
        (await ledger.FindAsync(third)).Should().NotBeNull();
    }

    [Test]
    public async Task Prune_removes_tombstones_past_retention_and_returns_how_many()
    {
        (IExpiryLedger ledger, FakeClock clock) = Create();
        SessionId[] old = [SessionId.New(), SessionId.New(), SessionId.New()];
        SessionId young = SessionId.New();
        foreach (SessionId id in old)
        {
            await ledger.RecordAsync(Tombstone(id, TestTime.Start));
        }

        clock.Advance(TestTime.Minutes(30));
        await ledger.RecordAsync(Tombstone(young, clock.GetCurrentInstant()));
        (await ledger.PruneAsync()).Should().Be(0);
        (await ledger.CountAsync()).Should().Be(4);

        clock.Advance(TestTime.Minutes(30));
        (await ledger.PruneAsync()).Should().Be(3);
        (await ledger.CountAsync()).Should().Be(1);
        (await ledger.FindAsync(young)).Should().NotBeNull();

        clock.Advance(TestTime.Minutes(30));
        (await ledger.PruneAsync()).Should().Be(1);
        (await ledger.CountAsync()).Should().Be(0);
    }

    [Test]
    public async Task Recording_the_same_id_again_replaces_the_tombstone_and_keeps_one_entry()
    {
        StoreCapacity capacity = Capacity;
        (IExpiryLedger ledger, FakeClock clock) = Create(o => o.MaxLedgerEntries = capacity.TotalFor(2));
        SessionId id = capacity.NewSessionIdIn(0);
        SessionId other = capacity.NewSessionIdIn(0);

        await ledger.RecordAsync(Tombstone(id, clock.GetCurrentInstant(), ExpiryReason.Closed));
        clock.Advance(TestTime.Minutes(1));
        ExpiredSession newer = Tombstone(id, clock.GetCurrentInstant(), ExpiryReason.Deleted);
        await ledger.RecordAsync(newer);
        await ledger.RecordAsync(Tombstone(other, clock.GetCurrentInstant()));

        (await ledger.FindAsync(id)).Should().Be(newer);
        (await ledger.FindAsync(other)).Should().NotBeNull();
        (await ledger.CountAsync()).Should().Be(2);
    }

    [Test]
    public async Task A_custom_reason_comes_back_equal_with_its_description()
    {
        (IExpiryLedger ledger, _) = Create();
        SessionId id = SessionId.New();

        await ledger.RecordAsync(Tombstone(id, TestTime.Start, new RevokedReason()));

        ExpiredSession found = (await ledger.FindAsync(id))!;
        found.Reason.Should().Be(new RevokedReason());
        found.Reason.Description.Should().Be(new RevokedReason().Description);
        (await ledger.FindAsync(id))!.Reason.Should().BeSameAs(found.Reason, "reasons read back are interned");
    }
}
