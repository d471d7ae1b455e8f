// Each test's name says what it proves; the names are the documentation of these public methods.
#pragma warning disable CS1591
using System.Collections.Concurrent;
using NodaTime;

namespace Limps.Sessions.Testing;

// leases
public abstract partial class RegistryContractTests
{
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
}
