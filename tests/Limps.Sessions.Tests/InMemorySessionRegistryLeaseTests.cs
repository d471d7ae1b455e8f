using NodaTime;

namespace Limps.Sessions.Tests;

/// <summary>Request leases: a session cannot idle out while one is open; its idle clock restarts at the last release.</summary>
public class InMemorySessionRegistryLeaseTests
{
    [Test]
    public async Task A_lease_records_activity_and_holds_the_session()
    {
        using var h = new RegistryHarness();
        SessionInfo info = await h.Registry.CreateAsync(owner: "alice");
        h.Advance(TestTime.Minutes(1));

        await using SessionLease lease = await h.Registry.BeginLeaseAsync(info.Id);

        lease.IsHeld.Should().BeTrue();
        lease.Lookup.IsActive.Should().BeTrue();
        lease.Lookup.Session.Id.Should().Be(info.Id);
        lease.Lookup.Session.Owner.Should().Be("alice");
        lease.Lookup.Session.LastActiveAt.Should().Be(TestTime.Start + TestTime.Minutes(1));
    }

    [Test]
    public async Task Disposing_a_lease_twice_releases_it_once()
    {
        using var h = new RegistryHarness();
        SessionInfo info = await h.Registry.CreateAsync();
        SessionLease first = await h.Registry.BeginLeaseAsync(info.Id);
        SessionLease second = await h.Registry.BeginLeaseAsync(info.Id);

        h.Advance(TestTime.Minutes(5));
        await first.DisposeAsync();
        await first.DisposeAsync();
        await first.DisposeAsync();

        h.Advance(Duration.FromHours(2));
        (await h.Registry.SweepAsync()).Should().Be(0);
        (await h.Registry.LookupAsync(info.Id)).IsActive.Should().BeTrue("the second lease still holds the session");

        await second.DisposeAsync();
        await second.DisposeAsync();
        h.Advance(h.Idle);
        (await h.Registry.SweepAsync()).Should().Be(1);
    }

    [Test]
    public async Task A_lease_on_an_unknown_id_holds_nothing_and_says_NotFound()
    {
        using var h = new RegistryHarness();

        SessionLease lease = await h.Registry.BeginLeaseAsync(SessionId.New());

        lease.IsHeld.Should().BeFalse();
        lease.Lookup.IsNotFound.Should().BeTrue();
        await lease.DisposeAsync();
        await lease.DisposeAsync();
        h.Registry.Count.Should().Be(0);
        h.Ledger.Count.Should().Be(0);

        await using SessionLease empty = await h.Registry.BeginLeaseAsync(default);
        empty.IsHeld.Should().BeFalse();
        empty.Lookup.IsNotFound.Should().BeTrue();
    }

    [Test]
    public async Task A_lease_on_an_ended_id_holds_nothing_and_says_why()
    {
        using var h = new RegistryHarness();
        SessionInfo info = await h.Registry.CreateAsync();
        await h.Registry.EndAsync(info.Id, ExpiryReason.Deleted);

        await using SessionLease lease = await h.Registry.BeginLeaseAsync(info.Id);

        lease.IsHeld.Should().BeFalse();
        lease.Lookup.Expiry.Reason.Should().Be(ExpiryReason.Deleted);
    }

    [Test]
    public async Task A_lease_on_an_overdue_id_ends_it_for_timeout_and_holds_nothing()
    {
        using var h = new RegistryHarness();
        SessionInfo info = await h.Registry.CreateAsync();
        h.Advance(h.Idle);

        await using SessionLease lease = await h.Registry.BeginLeaseAsync(info.Id);

        lease.IsHeld.Should().BeFalse();
        lease.Lookup.Expiry.Reason.Should().Be(ExpiryReason.Timeout);
        lease.Lookup.Expiry.ExpiredAt.Should().Be(TestTime.Start + h.Idle);
        h.Registry.Count.Should().Be(0);
    }

    [Test]
    public async Task Ending_a_leased_session_works_and_a_later_release_is_harmless()
    {
        using var h = new RegistryHarness();
        SessionInfo info = await h.Registry.CreateAsync();
        SessionLease lease = await h.Registry.BeginLeaseAsync(info.Id);
        h.Advance(TestTime.Minutes(2));

        (await h.Registry.EndAsync(info.Id, ExpiryReason.Deleted)).Should().BeTrue();
        h.Advance(TestTime.Minutes(2));
        await lease.DisposeAsync();

        ExpiredSession tombstone = (await h.Registry.LookupAsync(info.Id)).Expiry;
        tombstone.Reason.Should().Be(ExpiryReason.Deleted);
        tombstone.ExpiredAt.Should().Be(TestTime.Start + TestTime.Minutes(2));
        h.Registry.Count.Should().Be(0);
        h.Observer.Ended.Should().ContainSingle();
    }

    [Test]
    public async Task Touching_during_a_lease_does_not_end_the_lease()
    {
        using var h = new RegistryHarness();
        SessionInfo info = await h.Registry.CreateAsync();
        SessionLease lease = await h.Registry.BeginLeaseAsync(info.Id);

        h.Advance(TestTime.Minutes(10));
        (await h.Registry.TouchAsync(info.Id)).IsActive.Should().BeTrue();
        h.Advance(Duration.FromHours(2));

        (await h.Registry.LookupAsync(info.Id)).IsActive.Should().BeTrue();
        await lease.DisposeAsync();
    }

    [Test]
    public async Task Too_many_concurrent_leases_on_one_session_are_refused()
    {
        using var h = new RegistryHarness();
        SessionInfo info = await h.Registry.CreateAsync();
        var leases = new List<SessionLease>();
        for (int i = 0; i < 0x7FFF; i++)
        {
            leases.Add(await h.Registry.BeginLeaseAsync(info.Id));
        }

        InvalidOperationException error = (await FluentActions.Awaiting(async () => await h.Registry.BeginLeaseAsync(info.Id))
            .Should().ThrowAsync<InvalidOperationException>()).Which;
        error.Message.Should().NotContain(info.Id.ToString());

        foreach (SessionLease lease in leases)
        {
            await lease.DisposeAsync();
        }

        await using SessionLease again = await h.Registry.BeginLeaseAsync(info.Id);
        again.IsHeld.Should().BeTrue();
    }

    [Test]
    public void NotHeld_rejects_an_active_lookup()
    {
        var active = SessionLookup.Active(new SessionInfo(SessionId.New(), TestTime.Start, TestTime.Start));

        FluentActions.Invoking(() => SessionLease.NotHeld(active)).Should().Throw<ArgumentException>();
    }

    [Test]
    public async Task NotHeld_leases_carry_their_answer_and_release_as_a_no_op()
    {
        var tombstone = new ExpiredSession(SessionId.New(), ExpiryReason.Closed, TestTime.Start, TestTime.Start);

        SessionLease expired = SessionLease.NotHeld(SessionLookup.Expired(tombstone));
        SessionLease notFound = SessionLease.NotHeld(SessionLookup.NotFound);

        expired.IsHeld.Should().BeFalse();
        expired.Lookup.Expiry.Should().Be(tombstone);
        notFound.IsHeld.Should().BeFalse();
        notFound.Lookup.IsNotFound.Should().BeTrue();
        await expired.DisposeAsync();
        await notFound.DisposeAsync();
    }
}
