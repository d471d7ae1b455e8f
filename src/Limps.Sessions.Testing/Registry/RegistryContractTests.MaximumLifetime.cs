// Each test's name says what it proves; the names are the documentation of these public methods.
#pragma warning disable CS1591
using System.Collections.Concurrent;
using NodaTime;

namespace Limps.Sessions.Testing;

// maximum lifetime
public abstract partial class RegistryContractTests
{
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
}
