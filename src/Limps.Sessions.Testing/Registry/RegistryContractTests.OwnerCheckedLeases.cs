// Each test's name says what it proves; the names are the documentation of these public methods.
#pragma warning disable CS1591
using System.Collections.Concurrent;
using NodaTime;

namespace Limps.Sessions.Testing;

// owner-checked leases (one call per request)
public abstract partial class RegistryContractTests
{
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
}
