// Each test's name says what it proves; the names are the documentation of these public methods.
#pragma warning disable CS1591
using System.Collections.Concurrent;
using NodaTime;

namespace Limps.Sessions.Testing;

/// <summary>
/// The behaviour every <see cref="ISessionRegistry"/> owes its callers, written once and run against each
/// implementation: the in-memory registry (the reference semantics), the Redis one, and yours. Subclass it in an NUnit
/// test project, mark the subclass <c>[TestFixture]</c> and return your registry from <see cref="Create"/>: every test
/// here then runs against it.
/// </summary>
/// <remarks>
/// Time is a <see cref="NodaTime.Testing.FakeClock"/> at <see cref="TestTime.Start"/>; the registry must read every
/// instant from it. Each test creates its own harness, so a store shared between tests needs a fresh key space (for
/// example a new key prefix) per harness.
/// </remarks>
public abstract class RegistryContractTests
{
    private static readonly ExpiryReason[] EndReasons =
        [ExpiryReason.Deleted, ExpiryReason.Closed, ExpiryReason.Evicted, new RevokedReason()];

    /// <summary>Creates a registry (and its ledger) on a fake clock at <see cref="TestTime.Start"/>.</summary>
    /// <param name="configure">Changes the options (defaults otherwise) before the registry is created.</param>
    /// <returns>The harness around the new registry; the test disposes it.</returns>
    protected abstract RegistryHarness Create(Action<LimpsSessionsOptions>? configure = null);

    // ---- create ------------------------------------------------------------------------------------------------

    [Test]
    public async Task Create_with_a_new_id()
    {
        using RegistryHarness h = Create();

        SessionInfo info = await h.Registry.CreateAsync();

        info.Id.IsEmpty.Should().BeFalse();
        info.CreatedAt.Should().Be(TestTime.Start);
        info.LastActiveAt.Should().Be(TestTime.Start);
        info.Owner.Should().BeNull();
        info.Metadata.Should().BeEmpty();
        SessionLookup lookup = await h.Registry.LookupAsync(info.Id);
        lookup.Session.Id.Should().Be(info.Id);
        lookup.Session.CreatedAt.Should().Be(TestTime.Start);
        lookup.Session.Owner.Should().BeNull();
        lookup.Session.Metadata.Should().BeEmpty();
        h.Observer.Started.Should().ContainSingle().Which.Id.Should().Be(info.Id);
    }

    [Test]
    public async Task Create_with_a_given_id_keeps_owner_and_metadata()
    {
        using RegistryHarness h = Create();
        SessionId id = SessionId.Parse("sdk-issued-id-1234567890");
        var metadata = new Dictionary<string, string> { ["tenant"] = "acme", ["client"] = "inspector \"x\"\n" };

        SessionInfo created = await h.Registry.CreateAsync(id, owner: "user-42", metadata: metadata);
        h.Advance(TestTime.Minutes(1));

        created.Id.Should().Be(id);
        SessionInfo looked = (await h.Registry.LookupAsync(SessionId.Parse("sdk-issued-id-1234567890"))).Session;
        looked.Owner.Should().Be("user-42");
        looked.Metadata.Should().BeEquivalentTo(metadata);
        (await h.Registry.TouchAsync(id)).Session.Owner.Should().Be("user-42");
    }

    [Test]
    public async Task Create_with_a_live_id_throws_and_changes_nothing()
    {
        using RegistryHarness h = Create();
        SessionId id = SessionId.New();
        await h.Registry.CreateAsync(id, owner: "alice");
        h.Advance(TestTime.Minutes(1));

        InvalidOperationException error = (await FluentActions
            .Awaiting(async () => await h.Registry.CreateAsync(id, owner: "mallory"))
            .Should().ThrowAsync<InvalidOperationException>()).Which;

        error.Message.Should().NotContain(id.ToString());
        (await h.CountAsync()).Should().Be(1);
        SessionLookup lookup = await h.Registry.LookupAsync(id);
        lookup.Session.Owner.Should().Be("alice");
        lookup.Session.CreatedAt.Should().Be(TestTime.Start);
        h.Observer.Started.Should().ContainSingle();
    }

    [Test]
    public async Task Create_with_the_id_of_an_ended_session_starts_a_new_one()
    {
        using RegistryHarness h = Create();
        SessionId id = SessionId.New();
        await h.Registry.CreateAsync(id);
        await h.Registry.EndAsync(id, ExpiryReason.Deleted);
        h.Advance(TestTime.Minutes(1));

        SessionInfo again = await h.Registry.CreateAsync(id);

        again.CreatedAt.Should().Be(TestTime.Start + TestTime.Minutes(1));
        (await h.Registry.LookupAsync(id)).IsActive.Should().BeTrue();
        (await h.CountAsync()).Should().Be(1);
    }

    [Test]
    public async Task Create_with_the_id_of_an_overdue_session_ends_it_for_timeout_first()
    {
        using RegistryHarness h = Create();
        SessionId id = SessionId.New();
        await h.Registry.CreateAsync(id);
        h.Advance(h.Idle + TestTime.Minutes(5));

        SessionInfo again = await h.Registry.CreateAsync(id);

        again.CreatedAt.Should().Be(h.Now);
        h.Observer.Ended.Should().ContainSingle().Which.Reason.Should().Be(ExpiryReason.Timeout);
        h.Observer.Ended.Single().ExpiredAt.Should().Be(TestTime.Start + h.Idle);
        (await h.Registry.LookupAsync(id)).IsActive.Should().BeTrue();
        (await h.CountAsync()).Should().Be(1);
    }

    [Test]
    public void Create_with_the_empty_id_throws() =>
        FluentActions.Awaiting(async () =>
            {
                using RegistryHarness h = Create();
                await h.Registry.CreateAsync(default(SessionId));
            })
            .Should().ThrowAsync<ArgumentException>();

    [Test]
    public async Task Lookup_touch_and_lease_of_unknown_or_empty_ids_say_NotFound()
    {
        using RegistryHarness h = Create();
        await h.Registry.CreateAsync();

        (await h.Registry.LookupAsync(SessionId.New())).IsNotFound.Should().BeTrue();
        (await h.Registry.TouchAsync(SessionId.New())).IsNotFound.Should().BeTrue();
        (await h.Registry.LookupAsync(default)).IsNotFound.Should().BeTrue();
        (await h.Registry.TouchAsync(default)).IsNotFound.Should().BeTrue();
        await using (SessionLease lease = await h.Registry.BeginLeaseAsync(SessionId.New()))
        {
            lease.IsHeld.Should().BeFalse();
            lease.Lookup.IsNotFound.Should().BeTrue();
        }

        (await h.LedgerCountAsync()).Should().Be(0);
        (await h.CountAsync()).Should().Be(1);
    }

    // ---- idle timeout boundaries ----------------------------------------------------------------------------

    [TestCase(Probe.Lookup)]
    [TestCase(Probe.Touch)]
    [TestCase(Probe.Lease)]
    public async Task One_tick_before_the_idle_deadline_the_session_is_active(Probe probe)
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(5));
        await h.Registry.TouchAsync(info.Id);

        h.AdvanceTo(TestTime.Start + TestTime.Minutes(5) + h.Idle - TestTime.OneTick);
        SessionLookup answer = await h.AskAsync(info.Id, probe);

        answer.IsActive.Should().BeTrue();
        (await h.CountAsync()).Should().Be(1);
        h.Observer.Ended.Should().BeEmpty();
    }

    [TestCase(Probe.Lookup)]
    [TestCase(Probe.Touch)]
    [TestCase(Probe.Lease)]
    public async Task At_the_idle_deadline_the_session_is_expired_without_a_sweep(Probe probe)
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(5));
        await h.Registry.TouchAsync(info.Id);
        Instant lastActive = TestTime.Start + TestTime.Minutes(5);

        h.AdvanceTo(lastActive + h.Idle);
        SessionLookup answer = await h.AskAsync(info.Id, probe);

        answer.Expiry.Id.Should().Be(info.Id);
        answer.Expiry.Reason.Should().Be(ExpiryReason.Timeout);
        answer.Expiry.ExpiredAt.Should().Be(lastActive + h.Idle);
        answer.Expiry.LastActiveAt.Should().Be(lastActive);
        (await h.CountAsync()).Should().Be(0);
        h.Observer.Ended.Should().ContainSingle().Which.Should().Be(answer.Expiry);
        (await h.Ledger.FindAsync(info.Id)).Should().Be(answer.Expiry);
    }

    [TestCase(Probe.Lookup)]
    [TestCase(Probe.Touch)]
    [TestCase(Probe.Lease)]
    public async Task Long_after_the_deadline_ExpiredAt_is_still_the_deadline(Probe probe)
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync();

        h.Advance(Duration.FromHours(7));
        SessionLookup answer = await h.AskAsync(info.Id, probe);

        answer.Expiry.Reason.Should().Be(ExpiryReason.Timeout);
        answer.Expiry.ExpiredAt.Should().Be(TestTime.Start + h.Idle);
        answer.Expiry.LastActiveAt.Should().Be(TestTime.Start);
    }

    [Test]
    public async Task An_expired_session_keeps_answering_the_same_tombstone()
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync();
        h.Advance(h.Idle);
        ExpiredSession first = (await h.Registry.LookupAsync(info.Id)).Expiry;

        h.Advance(TestTime.Minutes(5));

        (await h.Registry.TouchAsync(info.Id)).Expiry.Should().Be(first);
        (await h.Registry.LookupAsync(info.Id)).Expiry.Should().Be(first);
        await using (SessionLease lease = await h.Registry.BeginLeaseAsync(info.Id))
        {
            lease.Lookup.Expiry.Should().Be(first);
        }

        h.Observer.Ended.Should().ContainSingle();
    }

    [Test]
    public async Task Lookup_does_not_record_activity()
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync();

        h.Advance(TestTime.Minutes(20));
        (await h.Registry.LookupAsync(info.Id)).Session.LastActiveAt.Should().Be(TestTime.Start);

        h.Advance(TestTime.Minutes(10));
        (await h.Registry.LookupAsync(info.Id)).Expiry.ExpiredAt.Should().Be(TestTime.Start + h.Idle);
    }

    [Test]
    public async Task Touch_records_activity_and_moves_the_deadline()
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync();
        Instant touchedAt = TestTime.Start + TestTime.Minutes(20);

        h.AdvanceTo(touchedAt);
        SessionLookup touched = await h.Registry.TouchAsync(info.Id);
        touched.Session.LastActiveAt.Should().Be(touchedAt);
        touched.Session.CreatedAt.Should().Be(TestTime.Start);

        h.AdvanceTo(TestTime.Start + h.Idle);
        (await h.Registry.LookupAsync(info.Id)).Session.LastActiveAt.Should().Be(touchedAt);
        h.AdvanceTo(touchedAt + h.Idle - TestTime.OneTick);
        (await h.Registry.LookupAsync(info.Id)).IsActive.Should().BeTrue();

        h.AdvanceTo(touchedAt + h.Idle);
        ExpiredSession expired = (await h.Registry.LookupAsync(info.Id)).Expiry;
        expired.ExpiredAt.Should().Be(touchedAt + h.Idle);
        expired.LastActiveAt.Should().Be(touchedAt);
    }

    [Test]
    public async Task Touching_regularly_keeps_a_session_alive_for_days()
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync();

        for (int i = 0; i < 3 * 24 * 3; i++)
        {
            h.Advance(TestTime.Minutes(20));
            (await h.Registry.TouchAsync(info.Id)).IsActive.Should().BeTrue();
            (await h.Registry.SweepAsync()).Should().Be(0);
        }

        (await h.Registry.LookupAsync(info.Id)).Session.CreatedAt.Should().Be(TestTime.Start);
    }

    [Test]
    public async Task Activity_instants_between_microseconds_round_up_so_a_session_never_idles_out_early()
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync();
        Instant touchedAt = TestTime.Start + TestTime.Minutes(1) + Duration.FromTicks(3);

        h.AdvanceTo(touchedAt);
        SessionInfo touched = (await h.Registry.TouchAsync(info.Id)).Session;

        touched.LastActiveAt.Should().BeGreaterThanOrEqualTo(touchedAt);
        (touched.LastActiveAt - touchedAt).Should().BeLessThan(Duration.FromTicks(10));
        h.AdvanceTo(touchedAt + h.Idle - TestTime.OneTick);
        (await h.Registry.LookupAsync(info.Id)).IsActive.Should().BeTrue();
        h.AdvanceTo(touched.LastActiveAt + h.Idle);
        ExpiredSession expired = (await h.Registry.LookupAsync(info.Id)).Expiry;
        expired.ExpiredAt.Should().Be(expired.LastActiveAt + h.Idle);
    }

    [Test]
    public async Task IdleTimeout_zero_disables_idle_expiry()
    {
        using RegistryHarness h = Create(o => o.IdleTimeout = TimeSpan.Zero);
        SessionInfo info = await h.Registry.CreateAsync();

        h.Advance(Duration.FromDays(30));

        (await h.Registry.SweepAsync()).Should().Be(0);
        (await h.Registry.LookupAsync(info.Id)).IsActive.Should().BeTrue();
        (await h.Registry.TouchAsync(info.Id)).IsActive.Should().BeTrue();
        await using (SessionLease lease = await h.Registry.BeginLeaseAsync(info.Id))
        {
            lease.IsHeld.Should().BeTrue();
        }

        h.Advance(Duration.FromDays(300));
        (await h.Registry.LookupAsync(info.Id)).IsActive.Should().BeTrue();
        (await h.CountAsync()).Should().Be(1);
    }

    // ---- count and end-all ----------------------------------------------------------------------------------

    [Test]
    public async Task Count_follows_creates_and_ends()
    {
        using RegistryHarness h = Create();
        (await h.CountAsync()).Should().Be(0);

        SessionInfo a = await h.Registry.CreateAsync();
        await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(10));
        await h.Registry.CreateAsync();
        (await h.CountAsync()).Should().Be(3);

        await h.Registry.EndAsync(a.Id, ExpiryReason.Deleted);
        (await h.CountAsync()).Should().Be(2);

        h.AdvanceTo(TestTime.Start + h.Idle);
        (await h.CountAsync()).Should().Be(2, "overdue sessions count until a lookup or a sweep ends them");
        (await h.Registry.SweepAsync()).Should().Be(1);
        (await h.CountAsync()).Should().Be(1);
    }

    [Test]
    public async Task EndAll_ends_every_live_session_and_returns_how_many()
    {
        using RegistryHarness h = Create();
        SessionInfo[] sessions = new SessionInfo[5];
        for (int i = 0; i < sessions.Length; i++)
        {
            sessions[i] = await h.Registry.CreateAsync();
        }

        await h.Registry.EndAsync(sessions[0].Id, ExpiryReason.Deleted);
        h.Advance(TestTime.Minutes(3));

        (await h.Registry.EndAllAsync(ExpiryReason.Closed)).Should().Be(4);

        (await h.CountAsync()).Should().Be(0);
        (await h.Registry.LookupAsync(sessions[0].Id)).Expiry.Reason.Should().Be(ExpiryReason.Deleted);
        foreach (SessionInfo session in sessions.Skip(1))
        {
            ExpiredSession tombstone = (await h.Registry.LookupAsync(session.Id)).Expiry;
            tombstone.Reason.Should().Be(ExpiryReason.Closed);
            tombstone.ExpiredAt.Should().Be(TestTime.Start + TestTime.Minutes(3));
        }

        h.Observer.Ended.Should().HaveCount(5);
        (await h.Registry.EndAllAsync(ExpiryReason.Closed)).Should().Be(0);
    }

    [Test]
    public async Task EndAll_ends_overdue_sessions_for_timeout_without_counting_them()
    {
        using RegistryHarness h = Create();
        SessionInfo overdue = await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(20));
        SessionInfo live = await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(15));

        (await h.Registry.EndAllAsync(ExpiryReason.Closed)).Should().Be(1);

        (await h.CountAsync()).Should().Be(0);
        (await h.Registry.LookupAsync(overdue.Id)).Expiry.Reason.Should().Be(ExpiryReason.Timeout);
        (await h.Registry.LookupAsync(live.Id)).Expiry.Reason.Should().Be(ExpiryReason.Closed);
    }

    // ---- retention as seen through the registry -------------------------------------------------------------

    [Test]
    public async Task After_the_ledger_retention_an_ended_session_is_NotFound()
    {
        using RegistryHarness h = Create(o => o.LedgerRetention = TimeSpan.FromHours(2));
        SessionInfo deleted = await h.Registry.CreateAsync();
        SessionInfo idle = await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(10));
        await h.Registry.EndAsync(deleted.Id, ExpiryReason.Deleted);
        Instant deletedAt = h.Now;

        h.AdvanceTo(deletedAt + Duration.FromHours(2) - TestTime.OneTick);
        (await h.Registry.LookupAsync(deleted.Id)).IsExpired.Should().BeTrue();
        (await h.Registry.LookupAsync(idle.Id)).IsExpired.Should().BeTrue("it idled out at Start + 30 min");

        h.AdvanceTo(deletedAt + Duration.FromHours(2));
        (await h.Registry.LookupAsync(deleted.Id)).IsNotFound.Should().BeTrue();

        h.AdvanceTo(TestTime.Start + h.Idle + Duration.FromHours(2) - TestTime.OneTick);
        (await h.Registry.LookupAsync(idle.Id)).IsExpired.Should().BeTrue();
        h.AdvanceTo(TestTime.Start + h.Idle + Duration.FromHours(2));
        (await h.Registry.LookupAsync(idle.Id)).IsNotFound.Should().BeTrue();
    }

    [TestCase(Probe.Lookup)]
    [TestCase(Probe.Touch)]
    [TestCase(Probe.Lease)]
    public async Task With_retention_zero_a_session_found_overdue_reads_as_unknown(Probe probe)
    {
        using RegistryHarness h = Create(o => o.LedgerRetention = TimeSpan.Zero);
        SessionInfo info = await h.Registry.CreateAsync();

        h.AdvanceTo(TestTime.Start + h.Idle);
        SessionLookup answer = await h.AskAsync(info.Id, probe);

        answer.IsNotFound.Should().BeTrue();
        (await h.CountAsync()).Should().Be(0);
        h.Observer.Ended.Should().ContainSingle().Which.Reason.Should().Be(ExpiryReason.Timeout);
        (await h.Registry.LookupAsync(info.Id)).IsNotFound.Should().BeTrue();
    }

    [Test]
    public async Task A_session_that_timed_out_longer_ago_than_the_retention_is_NotFound()
    {
        using RegistryHarness h = Create(o => o.LedgerRetention = TimeSpan.FromHours(1));
        SessionInfo info = await h.Registry.CreateAsync();

        h.AdvanceTo(TestTime.Start + h.Idle + Duration.FromHours(1));

        (await h.Registry.LookupAsync(info.Id)).IsNotFound.Should().BeTrue();
        (await h.CountAsync()).Should().Be(0);
        h.Observer.Ended.Should().ContainSingle().Which.Reason.Should().Be(ExpiryReason.Timeout);
    }

    // ---- ends -----------------------------------------------------------------------------------------------

    [Test]
    public async Task End_of_a_live_session_returns_true_and_writes_the_tombstone()
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(3));
        await h.Registry.TouchAsync(info.Id);
        h.Advance(TestTime.Minutes(4));

        (await h.Registry.EndAsync(info.Id, ExpiryReason.Deleted)).Should().BeTrue();

        ExpiredSession tombstone = (await h.Registry.LookupAsync(info.Id)).Expiry;
        tombstone.Id.Should().Be(info.Id);
        tombstone.Reason.Should().Be(ExpiryReason.Deleted);
        tombstone.ExpiredAt.Should().Be(TestTime.Start + TestTime.Minutes(7));
        tombstone.LastActiveAt.Should().Be(TestTime.Start + TestTime.Minutes(3));
        (await h.Ledger.FindAsync(info.Id)).Should().Be(tombstone);
        (await h.CountAsync()).Should().Be(0);
    }

    [Test]
    public async Task The_first_end_wins_and_every_later_end_returns_false()
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync();

        (await h.Registry.EndAsync(info.Id, ExpiryReason.Deleted)).Should().BeTrue();
        h.Advance(TestTime.Minutes(1));
        (await h.Registry.EndAsync(info.Id, ExpiryReason.Closed)).Should().BeFalse();
        (await h.Registry.EndAsync(info.Id, new RevokedReason())).Should().BeFalse();
        (await h.Registry.EndAllAsync(ExpiryReason.Closed)).Should().Be(0);
        h.Advance(Duration.FromHours(1));
        (await h.Registry.SweepAsync()).Should().Be(0);

        ExpiredSession tombstone = (await h.Registry.LookupAsync(info.Id)).Expiry;
        tombstone.Reason.Should().Be(ExpiryReason.Deleted);
        tombstone.ExpiredAt.Should().Be(TestTime.Start);
        h.Observer.Ended.Should().ContainSingle();
        (await h.LedgerCountAsync()).Should().Be(1);
    }

    [Test]
    public async Task End_of_an_overdue_session_returns_false_and_the_tombstone_says_timeout()
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(10));
        await h.Registry.TouchAsync(info.Id);
        h.Advance(TestTime.Minutes(45));

        (await h.Registry.EndAsync(info.Id, ExpiryReason.Deleted)).Should().BeFalse();

        ExpiredSession tombstone = (await h.Registry.LookupAsync(info.Id)).Expiry;
        tombstone.Reason.Should().Be(ExpiryReason.Timeout);
        tombstone.ExpiredAt.Should().Be(TestTime.Start + TestTime.Minutes(40));
        tombstone.LastActiveAt.Should().Be(TestTime.Start + TestTime.Minutes(10));
        h.Observer.Ended.Should().ContainSingle().Which.Reason.Should().Be(ExpiryReason.Timeout);
    }

    [Test]
    public async Task End_at_exactly_the_deadline_is_a_timeout_and_one_tick_before_is_not()
    {
        using RegistryHarness h = Create();
        SessionInfo early = await h.Registry.CreateAsync();
        SessionInfo onTime = await h.Registry.CreateAsync();

        h.AdvanceTo(TestTime.Start + h.Idle - TestTime.OneTick);
        (await h.Registry.EndAsync(early.Id, ExpiryReason.Deleted)).Should().BeTrue();
        h.AdvanceTo(TestTime.Start + h.Idle);
        (await h.Registry.EndAsync(onTime.Id, ExpiryReason.Deleted)).Should().BeFalse();

        (await h.Registry.LookupAsync(early.Id)).Expiry.Reason.Should().Be(ExpiryReason.Deleted);
        (await h.Registry.LookupAsync(onTime.Id)).Expiry.Reason.Should().Be(ExpiryReason.Timeout);
    }

    [Test]
    public async Task End_of_an_unknown_or_empty_id_returns_false_and_records_nothing()
    {
        using RegistryHarness h = Create();
        await h.Registry.CreateAsync();

        (await h.Registry.EndAsync(SessionId.New(), ExpiryReason.Deleted)).Should().BeFalse();
        (await h.Registry.EndAsync(default, ExpiryReason.Deleted)).Should().BeFalse();

        (await h.LedgerCountAsync()).Should().Be(0);
        (await h.CountAsync()).Should().Be(1);
        h.Observer.Ended.Should().BeEmpty();
    }

    [Test]
    public async Task A_user_reason_round_trips_by_code_with_its_description()
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync();

        (await h.Registry.EndAsync(info.Id, new RevokedReason())).Should().BeTrue();

        ExpiryReason reason = (await h.Registry.LookupAsync(info.Id)).Expiry.Reason;
        reason.Code.Should().Be("revoked");
        reason.Description.Should().Be("An administrator revoked the session.");
        reason.Should().Be(ExpiryReason.FromCode("revoked"));
        reason.Should().Be(new RevokedReason());
        (await h.Ledger.FindAsync(info.Id))!.Reason.Should().Be(new RevokedReason());
    }

    [Test]
    public async Task Touch_of_an_ended_session_does_not_bring_it_back()
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync();
        await h.Registry.EndAsync(info.Id, ExpiryReason.Closed);

        h.Advance(TestTime.Minutes(1));
        (await h.Registry.TouchAsync(info.Id)).Expiry.Reason.Should().Be(ExpiryReason.Closed);

        (await h.Registry.LookupAsync(info.Id)).IsExpired.Should().BeTrue();
        (await h.CountAsync()).Should().Be(0);
    }

    // ---- leases ---------------------------------------------------------------------------------------------

    [Test]
    public async Task A_lease_records_activity_and_holds_the_session()
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync(owner: "alice");
        h.Advance(TestTime.Minutes(1));

        await using SessionLease lease = await h.Registry.BeginLeaseAsync(info.Id);

        lease.IsHeld.Should().BeTrue();
        lease.Lookup.Session.Id.Should().Be(info.Id);
        lease.Lookup.Session.Owner.Should().Be("alice");
        lease.Lookup.Session.LastActiveAt.Should().Be(TestTime.Start + TestTime.Minutes(1));
    }

    [Test]
    public async Task A_held_lease_prevents_timeout_far_past_the_deadline_even_for_the_sweep()
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(1));
        SessionLease lease = await h.Registry.BeginLeaseAsync(info.Id);

        for (int i = 0; i < 20; i++)
        {
            h.Advance(Duration.FromHours(1));
            (await h.Registry.SweepAsync()).Should().Be(0);
            (await h.Registry.LookupAsync(info.Id)).IsActive.Should().BeTrue();
        }

        h.Advance(Duration.FromDays(3));
        (await h.Registry.SweepAsync()).Should().Be(0);
        (await h.Registry.LookupAsync(info.Id)).IsActive.Should().BeTrue();
        (await h.Registry.EndAsync(info.Id, ExpiryReason.Deleted)).Should().BeTrue("an explicit end is not a timeout");
        await lease.DisposeAsync();
    }

    [Test]
    public async Task The_idle_clock_restarts_when_the_lease_is_released()
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(1));
        SessionLease lease = await h.Registry.BeginLeaseAsync(info.Id);
        Instant releasedAt = TestTime.Start + Duration.FromHours(3);

        h.AdvanceTo(releasedAt);
        await lease.DisposeAsync();

        (await h.Registry.LookupAsync(info.Id)).Session.LastActiveAt.Should().Be(releasedAt);
        h.AdvanceTo(releasedAt + h.Idle - TestTime.OneTick);
        (await h.Registry.LookupAsync(info.Id)).IsActive.Should().BeTrue();
        (await h.Registry.SweepAsync()).Should().Be(0);

        h.AdvanceTo(releasedAt + h.Idle);
        ExpiredSession expired = (await h.Registry.LookupAsync(info.Id)).Expiry;
        expired.Reason.Should().Be(ExpiryReason.Timeout);
        expired.ExpiredAt.Should().Be(releasedAt + h.Idle);
        expired.LastActiveAt.Should().Be(releasedAt);
    }

    [Test]
    public async Task With_two_leases_only_the_last_release_restarts_the_idle_clock()
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(1));
        SessionLease first = await h.Registry.BeginLeaseAsync(info.Id);
        h.Advance(TestTime.Minutes(1));
        SessionLease second = await h.Registry.BeginLeaseAsync(info.Id);

        h.AdvanceTo(TestTime.Start + Duration.FromHours(1));
        await first.DisposeAsync();
        await first.DisposeAsync();

        h.AdvanceTo(TestTime.Start + Duration.FromHours(1) + h.Idle + TestTime.Minutes(30));
        (await h.Registry.SweepAsync()).Should().Be(0);
        (await h.Registry.LookupAsync(info.Id)).IsActive.Should().BeTrue("the second lease is still open");

        Instant lastRelease = TestTime.Start + Duration.FromHours(3);
        h.AdvanceTo(lastRelease);
        await second.DisposeAsync();

        h.AdvanceTo(lastRelease + h.Idle - TestTime.OneTick);
        (await h.Registry.LookupAsync(info.Id)).IsActive.Should().BeTrue();
        h.AdvanceTo(lastRelease + h.Idle);
        ExpiredSession expired = (await h.Registry.LookupAsync(info.Id)).Expiry;
        expired.ExpiredAt.Should().Be(lastRelease + h.Idle);
        expired.LastActiveAt.Should().Be(lastRelease);
    }

    [Test]
    public async Task A_lease_on_an_ended_or_overdue_id_holds_nothing_and_says_why()
    {
        using RegistryHarness h = Create();
        SessionInfo deleted = await h.Registry.CreateAsync();
        SessionInfo idle = await h.Registry.CreateAsync();
        await h.Registry.EndAsync(deleted.Id, ExpiryReason.Deleted);
        h.Advance(h.Idle);

        await using SessionLease onDeleted = await h.Registry.BeginLeaseAsync(deleted.Id);
        await using SessionLease onIdle = await h.Registry.BeginLeaseAsync(idle.Id);

        onDeleted.IsHeld.Should().BeFalse();
        onDeleted.Lookup.Expiry.Reason.Should().Be(ExpiryReason.Deleted);
        onIdle.IsHeld.Should().BeFalse();
        onIdle.Lookup.Expiry.Reason.Should().Be(ExpiryReason.Timeout);
        onIdle.Lookup.Expiry.ExpiredAt.Should().Be(TestTime.Start + h.Idle);
        (await h.CountAsync()).Should().Be(0);
    }

    [Test]
    public async Task Ending_a_leased_session_works_and_a_later_release_is_harmless()
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync();
        SessionLease lease = await h.Registry.BeginLeaseAsync(info.Id);
        h.Advance(TestTime.Minutes(2));

        (await h.Registry.EndAsync(info.Id, ExpiryReason.Deleted)).Should().BeTrue();
        h.Advance(TestTime.Minutes(2));
        await lease.DisposeAsync();

        ExpiredSession tombstone = (await h.Registry.LookupAsync(info.Id)).Expiry;
        tombstone.Reason.Should().Be(ExpiryReason.Deleted);
        tombstone.ExpiredAt.Should().Be(TestTime.Start + TestTime.Minutes(2));
        (await h.CountAsync()).Should().Be(0);
        h.Observer.Ended.Should().ContainSingle();
    }

    [Test]
    public async Task A_release_does_not_touch_a_new_session_that_reused_the_id()
    {
        using RegistryHarness h = Create();
        SessionId id = SessionId.New();
        await h.Registry.CreateAsync(id);
        SessionLease old = await h.Registry.BeginLeaseAsync(id);
        await h.Registry.EndAsync(id, ExpiryReason.Deleted);
        await h.Registry.CreateAsync(id);
        SessionLease current = await h.Registry.BeginLeaseAsync(id);

        await old.DisposeAsync();
        h.Advance(h.Idle * 2);

        (await h.Registry.LookupAsync(id)).IsActive.Should().BeTrue("the new session's own lease is still open");
        await current.DisposeAsync();
        h.Advance(h.Idle);
        (await h.Registry.LookupAsync(id)).Expiry.Reason.Should().Be(ExpiryReason.Timeout);
    }

    [Test]
    public async Task A_session_leased_while_a_sweep_passes_is_rescheduled_and_swept_after_release()
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync();
        SessionLease lease = await h.Registry.BeginLeaseAsync(info.Id);

        h.AdvanceTo(TestTime.Start + TestTime.Minutes(31));
        (await h.Registry.SweepAsync()).Should().Be(0);

        Instant releasedAt = TestTime.Start + TestTime.Minutes(40);
        h.AdvanceTo(releasedAt);
        await lease.DisposeAsync();

        h.AdvanceTo(TestTime.Start + TestTime.Minutes(65));
        (await h.Registry.SweepAsync()).Should().Be(0);
        (await h.Registry.LookupAsync(info.Id)).IsActive.Should().BeTrue();

        h.AdvanceTo(releasedAt + h.Idle);
        (await h.Registry.SweepAsync()).Should().Be(1);
        h.Observer.Ended.Should().ContainSingle().Which.ExpiredAt.Should().Be(releasedAt + h.Idle);
    }

    // ---- owner-checked leases (one call per request) --------------------------------------------------------

    [TestCase("alice")]
    [TestCase(null)]
    public async Task An_owner_checked_lease_holds_the_owners_own_session_and_records_activity(string? owner)
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync(owner: owner);
        h.Advance(TestTime.Minutes(1));

        await using SessionLease lease = await h.Registry.BeginLeaseForOwnerAsync(info.Id, owner);

        lease.IsHeld.Should().BeTrue();
        lease.IsOwnerMismatch.Should().BeFalse();
        lease.Lookup.Session.Owner.Should().Be(owner);
        lease.Lookup.Session.LastActiveAt.Should().Be(TestTime.Start + TestTime.Minutes(1));
        h.Advance(h.Idle * 3);
        (await h.Registry.LookupAsync(info.Id)).IsActive.Should().BeTrue("the lease holds the session");
    }

    [TestCase("alice", "bob")]
    [TestCase("alice", null)]
    [TestCase(null, "bob")]
    public async Task Another_callers_live_session_reads_as_unknown_and_is_left_untouched(string? owner, string? caller)
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync(owner: owner);
        h.Advance(TestTime.Minutes(10));

        await using SessionLease lease = await h.Registry.BeginLeaseForOwnerAsync(info.Id, caller);

        lease.IsHeld.Should().BeFalse();
        lease.IsOwnerMismatch.Should().BeTrue();
        lease.Lookup.IsNotFound.Should().BeTrue("another user's session must look exactly like an unknown one");
        (await h.Registry.LookupAsync(info.Id)).Session.LastActiveAt.Should().Be(TestTime.Start, "no activity was recorded");
        h.Advance(h.Idle - TestTime.Minutes(10));
        (await h.Registry.LookupAsync(info.Id)).IsExpired.Should().BeTrue("no lease was taken, so the idle clock ran on");
    }

    [Test]
    public async Task Another_callers_ended_session_reads_as_unknown_while_the_owner_is_told_why()
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync(owner: "alice");
        (await h.Registry.EndAsync(info.Id, ExpiryReason.Deleted)).Should().BeTrue();

        await using SessionLease foreign = await h.Registry.BeginLeaseForOwnerAsync(info.Id, "bob");
        await using SessionLease anonymous = await h.Registry.BeginLeaseForOwnerAsync(info.Id, null);
        await using SessionLease own = await h.Registry.BeginLeaseForOwnerAsync(info.Id, "alice");

        foreign.IsOwnerMismatch.Should().BeTrue();
        foreign.Lookup.IsNotFound.Should().BeTrue();
        anonymous.IsOwnerMismatch.Should().BeTrue();
        own.IsOwnerMismatch.Should().BeFalse();
        own.Lookup.Expiry.Reason.Should().Be(ExpiryReason.Deleted);
        own.Lookup.Expiry.Owner.Should().Be("alice");
    }

    [Test]
    public async Task An_owner_checked_lease_on_an_overdue_session_ends_it_for_timeout_for_its_owner_only()
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync(owner: "alice");
        h.Advance(h.Idle + TestTime.Minutes(1));

        await using SessionLease foreign = await h.Registry.BeginLeaseForOwnerAsync(info.Id, "bob");
        await using SessionLease own = await h.Registry.BeginLeaseForOwnerAsync(info.Id, "alice");

        foreign.IsOwnerMismatch.Should().BeTrue();
        own.IsHeld.Should().BeFalse();
        own.Lookup.Expiry.Reason.Should().Be(ExpiryReason.Timeout);
        own.Lookup.Expiry.ExpiredAt.Should().Be(TestTime.Start + h.Idle);
    }

    [Test]
    public async Task An_owner_checked_lease_on_an_unknown_id_is_not_found_and_no_mismatch()
    {
        using RegistryHarness h = Create();

        await using SessionLease lease = await h.Registry.BeginLeaseForOwnerAsync(SessionId.New(), "alice");

        lease.IsHeld.Should().BeFalse();
        lease.IsOwnerMismatch.Should().BeFalse();
        lease.Lookup.IsNotFound.Should().BeTrue();
    }

    [Test]
    public async Task Releasing_an_owner_checked_lease_restarts_the_idle_clock()
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync(owner: "alice");
        SessionLease lease = await h.Registry.BeginLeaseForOwnerAsync(info.Id, "alice");
        h.Advance(h.Idle * 2);

        await lease.DisposeAsync();
        h.Advance(h.Idle - TestTime.Minutes(1));

        (await h.Registry.LookupAsync(info.Id)).IsActive.Should().BeTrue();
        h.Advance(TestTime.Minutes(1));
        (await h.Registry.LookupAsync(info.Id)).Expiry.Reason.Should().Be(ExpiryReason.Timeout);
    }

    // ---- sweep ----------------------------------------------------------------------------------------------

    [Test]
    public async Task Sweep_ends_exactly_the_due_sessions_and_returns_how_many()
    {
        using RegistryHarness h = Create(o => o.MaxSessions = 2_000);
        var ids = new List<SessionId>();
        for (int i = 0; i < 600; i++)
        {
            ids.Add((await h.Registry.CreateAsync()).Id);
        }

        h.Advance(TestTime.Minutes(10));
        List<SessionId> touched = [.. ids.Where((_, i) => i % 2 == 0)];
        List<SessionId> idle = [.. ids.Where((_, i) => i % 2 == 1)];
        foreach (SessionId id in touched)
        {
            (await h.Registry.TouchAsync(id)).IsActive.Should().BeTrue();
        }

        h.AdvanceTo(TestTime.Start + h.Idle - TestTime.OneTick);
        (await h.Registry.SweepAsync()).Should().Be(0);

        h.AdvanceTo(TestTime.Start + h.Idle);
        (await h.Registry.SweepAsync()).Should().Be(300);

        (await h.CountAsync()).Should().Be(300);
        h.Observer.Ended.Select(e => e.Id.ToString()).Order(StringComparer.Ordinal)
            .Should().Equal(idle.Select(id => id.ToString()).Order(StringComparer.Ordinal));
        foreach (SessionId id in idle.Take(20))
        {
            ExpiredSession tombstone = (await h.Ledger.FindAsync(id))!;
            tombstone.Reason.Should().Be(ExpiryReason.Timeout);
            tombstone.ExpiredAt.Should().Be(TestTime.Start + h.Idle);
        }

        (await h.Registry.SweepAsync()).Should().Be(0, "nothing else is due yet");
        h.AdvanceTo(TestTime.Start + TestTime.Minutes(10) + h.Idle);
        (await h.Registry.SweepAsync()).Should().Be(300);
        (await h.CountAsync()).Should().Be(0);
        h.Observer.EndedCountById.Should().HaveCount(600);
        h.Observer.EndedCountById.Values.Should().NotContain(count => count != 1);
    }

    [Test]
    public async Task A_late_sweep_records_the_deadline_not_the_sweep_time()
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync();

        h.Advance(TestTime.Minutes(47));
        (await h.Registry.SweepAsync()).Should().Be(1);

        ExpiredSession tombstone = (await h.Registry.LookupAsync(info.Id)).Expiry;
        tombstone.ExpiredAt.Should().Be(TestTime.Start + h.Idle);
        tombstone.LastActiveAt.Should().Be(TestTime.Start);
    }

    [Test]
    public async Task Sessions_touched_after_they_were_scheduled_are_rescheduled_not_ended()
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync();

        for (int round = 0; round < 30; round++)
        {
            h.Advance(TestTime.Minutes(10));
            (await h.Registry.TouchAsync(info.Id)).IsActive.Should().BeTrue();
            h.Advance(TestTime.Minutes(10));
            (await h.Registry.SweepAsync()).Should().Be(0);
        }

        Instant lastTouch = h.Now - TestTime.Minutes(10);
        (await h.Registry.LookupAsync(info.Id)).Session.LastActiveAt.Should().Be(lastTouch);
        h.AdvanceTo(lastTouch + h.Idle);
        (await h.Registry.SweepAsync()).Should().Be(1);
        h.Observer.Ended.Should().ContainSingle().Which.ExpiredAt.Should().Be(lastTouch + h.Idle);
    }

    [Test]
    public async Task A_session_ended_by_a_lookup_is_not_ended_again_by_the_sweep()
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync();
        h.Advance(h.Idle);

        (await h.Registry.LookupAsync(info.Id)).IsExpired.Should().BeTrue();

        (await h.Registry.SweepAsync()).Should().Be(0);
        h.Observer.Ended.Should().ContainSingle();
    }

    [Test]
    public async Task Sweep_prunes_the_ledger()
    {
        using RegistryHarness h = Create(o => o.LedgerRetention = TimeSpan.FromHours(1));
        for (int i = 0; i < 3; i++)
        {
            SessionInfo info = await h.Registry.CreateAsync();
            await h.Registry.EndAsync(info.Id, ExpiryReason.Closed);
        }

        (await h.LedgerCountAsync()).Should().Be(3);
        h.Advance(TestTime.Minutes(50));
        await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(10));
        (await h.LedgerCountAsync()).Should().Be(3);

        (await h.Registry.SweepAsync()).Should().Be(0);

        (await h.LedgerCountAsync()).Should().Be(0);
        (await h.CountAsync()).Should().Be(1);
    }

    [Test]
    public async Task A_cancelled_sweep_throws_and_loses_no_due_session()
    {
        using RegistryHarness h = Create();
        SessionInfo info = await h.Registry.CreateAsync();
        h.Advance(h.Idle);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await FluentActions.Awaiting(async () => await h.Registry.SweepAsync(cancelled.Token))
            .Should().ThrowAsync<OperationCanceledException>();

        (await h.Registry.SweepAsync()).Should().Be(1);
        (await h.Registry.LookupAsync(info.Id)).Expiry.Reason.Should().Be(ExpiryReason.Timeout);
    }

    // ---- capacity -------------------------------------------------------------------------------------------

    [Test]
    public async Task Creating_past_MaxSessions_throws_and_changes_nothing()
    {
        using RegistryHarness h = Create(o => o.MaxSessions = 3);
        for (int i = 0; i < 3; i++)
        {
            await h.Registry.CreateAsync();
        }

        SessionId refused = SessionId.New();
        SessionCapacityExceededException error = (await FluentActions
            .Awaiting(async () => await h.Registry.CreateAsync(refused))
            .Should().ThrowAsync<SessionCapacityExceededException>()).Which;

        error.MaxSessions.Should().Be(3);
        (await h.CountAsync()).Should().Be(3);
        (await h.Registry.LookupAsync(refused)).IsNotFound.Should().BeTrue();
        h.Observer.Started.Should().HaveCount(3);
    }

    [Test]
    public async Task When_some_sessions_are_overdue_create_sweeps_first_and_succeeds()
    {
        using RegistryHarness h = Create(o => o.MaxSessions = 3);
        SessionInfo overdue1 = await h.Registry.CreateAsync();
        SessionInfo overdue2 = await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(10));
        SessionInfo live = await h.Registry.CreateAsync();
        h.AdvanceTo(TestTime.Start + h.Idle);

        SessionInfo created = await h.Registry.CreateAsync();

        (await h.CountAsync()).Should().Be(2);
        (await h.Registry.LookupAsync(created.Id)).IsActive.Should().BeTrue();
        (await h.Registry.LookupAsync(live.Id)).IsActive.Should().BeTrue();
        (await h.Registry.LookupAsync(overdue1.Id)).Expiry.Reason.Should().Be(ExpiryReason.Timeout);
        (await h.Registry.LookupAsync(overdue2.Id)).Expiry.Reason.Should().Be(ExpiryReason.Timeout);
    }

    [Test]
    public async Task Leased_sessions_are_not_swept_to_make_room()
    {
        using RegistryHarness h = Create(o => o.MaxSessions = 1);
        SessionInfo info = await h.Registry.CreateAsync();
        await using SessionLease lease = await h.Registry.BeginLeaseAsync(info.Id);
        h.Advance(h.Idle * 3);

        await FluentActions.Awaiting(async () => await h.Registry.CreateAsync())
            .Should().ThrowAsync<SessionCapacityExceededException>();
        (await h.Registry.LookupAsync(info.Id)).IsActive.Should().BeTrue();
    }

    [Test]
    public async Task Ending_a_session_frees_a_slot_and_refusals_leak_none()
    {
        using RegistryHarness h = Create(o => o.MaxSessions = 2);
        SessionInfo a = await h.Registry.CreateAsync();
        SessionInfo b = await h.Registry.CreateAsync();
        for (int i = 0; i < 5; i++)
        {
            await FluentActions.Awaiting(async () => await h.Registry.CreateAsync())
                .Should().ThrowAsync<SessionCapacityExceededException>();
        }

        (await h.Registry.EndAsync(a.Id, ExpiryReason.Deleted)).Should().BeTrue();
        for (int i = 0; i < 5; i++)
        {
            await FluentActions.Awaiting(async () => await h.Registry.CreateAsync(b.Id))
                .Should().ThrowAsync<InvalidOperationException>();
        }

        SessionInfo c = await h.Registry.CreateAsync();
        (await h.Registry.LookupAsync(c.Id)).IsActive.Should().BeTrue();
        (await h.CountAsync()).Should().Be(2);
    }

    // ---- maximum lifetime -----------------------------------------------------------------------------------

    [TestCase(Probe.Lookup)]
    [TestCase(Probe.Touch)]
    [TestCase(Probe.Lease)]
    public async Task A_busy_session_ends_with_reason_lifetime_at_created_plus_MaxLifetime(Probe probe)
    {
        using RegistryHarness h = Create(o => o.MaxLifetime = TimeSpan.FromHours(1));
        SessionInfo info = await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(20));
        await h.Registry.TouchAsync(info.Id);
        h.Advance(TestTime.Minutes(20));
        await h.Registry.TouchAsync(info.Id);

        h.AdvanceTo(TestTime.Start + Duration.FromHours(1) - TestTime.OneTick);
        (await h.Registry.LookupAsync(info.Id)).IsActive.Should().BeTrue();

        h.AdvanceTo(TestTime.Start + Duration.FromHours(1));
        SessionLookup answer = await h.AskAsync(info.Id, probe);

        answer.Expiry.Reason.Should().Be(ExpiryReason.Lifetime);
        answer.Expiry.ExpiredAt.Should().Be(TestTime.Start + Duration.FromHours(1));
        answer.Expiry.LastActiveAt.Should().Be(TestTime.Start + TestTime.Minutes(40));
    }

    [Test]
    public async Task The_lifetime_does_not_end_a_session_while_a_lease_is_open()
    {
        using RegistryHarness h = Create(o => o.MaxLifetime = TimeSpan.FromHours(1));
        SessionInfo info = await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(10));
        SessionLease lease = await h.Registry.BeginLeaseAsync(info.Id);

        h.AdvanceTo(TestTime.Start + Duration.FromHours(2));
        (await h.Registry.SweepAsync()).Should().Be(0);
        (await h.Registry.TouchAsync(info.Id)).IsActive.Should().BeTrue();

        Instant releasedAt = h.Now;
        await lease.DisposeAsync();

        ExpiredSession expired = (await h.Registry.LookupAsync(info.Id)).Expiry;
        expired.Reason.Should().Be(ExpiryReason.Lifetime);
        expired.ExpiredAt.Should().Be(releasedAt);
        expired.LastActiveAt.Should().Be(releasedAt);
    }

    [Test]
    public async Task With_idle_expiry_disabled_the_sweep_still_ends_sessions_at_their_lifetime()
    {
        using RegistryHarness h = Create(o =>
        {
            o.IdleTimeout = TimeSpan.Zero;
            o.MaxLifetime = TimeSpan.FromHours(1);
        });
        SessionInfo info = await h.Registry.CreateAsync();

        h.AdvanceTo(TestTime.Start + Duration.FromHours(1) - TestTime.OneTick);
        (await h.Registry.SweepAsync()).Should().Be(0);
        h.AdvanceTo(TestTime.Start + Duration.FromHours(1));
        (await h.Registry.SweepAsync()).Should().Be(1);

        (await h.Registry.LookupAsync(info.Id)).Expiry.Reason.Should().Be(ExpiryReason.Lifetime);
    }

    // ---- observers and concurrency --------------------------------------------------------------------------

    [Test]
    public async Task Observers_hear_each_start_once_and_each_end_once_whatever_ends_it()
    {
        using RegistryHarness h = Create();
        SessionInfo deleted = await h.Registry.CreateAsync();
        SessionInfo swept = await h.Registry.CreateAsync();
        SessionInfo looked = await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(10));
        SessionInfo closed = await h.Registry.CreateAsync();

        await h.Registry.EndAsync(deleted.Id, ExpiryReason.Deleted);
        h.AdvanceTo(TestTime.Start + h.Idle);
        await h.Registry.LookupAsync(looked.Id);
        await h.Registry.SweepAsync();
        await h.Registry.EndAllAsync(ExpiryReason.Closed);

        h.Observer.Started.Select(s => s.Id).Should().BeEquivalentTo([deleted.Id, swept.Id, looked.Id, closed.Id]);
        h.Observer.EndedCountById.Should().HaveCount(4);
        h.Observer.EndedCountById.Values.Should().OnlyContain(count => count == 1);
        h.Observer.Ended.Single(e => e.Id == closed.Id).Reason.Should().Be(ExpiryReason.Closed);
        h.Observer.Ended.Single(e => e.Id == swept.Id).Reason.Should().Be(ExpiryReason.Timeout);
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Racing_ends_of_one_session_have_exactly_one_winner()
    {
        const int Rounds = 200;
        using RegistryHarness h = Create(o => o.MaxSessions = Rounds);
        SessionId[] ids = new SessionId[Rounds];
        var winners = new ConcurrentQueue<ExpiryReason>[Rounds];
        for (int round = 0; round < Rounds; round++)
        {
            ids[round] = (await h.Registry.CreateAsync()).Id;
            winners[round] = new ConcurrentQueue<ExpiryReason>();
        }

        await Task.WhenAll(EndReasons.Select(reason => Task.Run(async () =>
        {
            for (int round = 0; round < Rounds; round++)
            {
                if (await h.Registry.EndAsync(ids[round], reason))
                {
                    winners[round].Enqueue(reason);
                }
            }
        })));

        for (int round = 0; round < Rounds; round++)
        {
            winners[round].Should().ContainSingle();
            (await h.Registry.LookupAsync(ids[round])).Expiry.Reason.Should().Be(winners[round].Single());
        }

        h.Observer.EndedCountById.Should().HaveCount(Rounds);
        h.Observer.EndedCountById.Values.Should().OnlyContain(count => count == 1);
        (await h.LedgerCountAsync()).Should().Be(Rounds);
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Concurrent_sweeps_end_each_due_session_exactly_once()
    {
        const int Sessions = 1_000;
        using RegistryHarness h = Create(o => o.MaxSessions = Sessions);
        for (int i = 0; i < Sessions; i++)
        {
            await h.Registry.CreateAsync();
        }

        h.Advance(h.Idle);
        int[] ended = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(async () => await h.Registry.SweepAsync())));

        ended.Sum().Should().Be(Sessions);
        h.Observer.EndedCountById.Should().HaveCount(Sessions);
        h.Observer.EndedCountById.Values.Should().OnlyContain(count => count == 1);
        (await h.CountAsync()).Should().Be(0);
        (await h.LedgerCountAsync()).Should().Be(Sessions);
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Concurrent_creates_respect_the_capacity_exactly()
    {
        const int Capacity = 200;
        using RegistryHarness h = Create(o => o.MaxSessions = Capacity);
        int created = 0;
        int refused = 0;

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (int i = 0; i < 100; i++)
            {
                try
                {
                    await h.Registry.CreateAsync();
                    Interlocked.Increment(ref created);
                }
                catch (SessionCapacityExceededException)
                {
                    Interlocked.Increment(ref refused);
                }
            }
        })));

        created.Should().Be(Capacity);
        refused.Should().Be(400 - Capacity);
        (await h.CountAsync()).Should().Be(Capacity);
    }
}
