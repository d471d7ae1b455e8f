// Each test's name says what it proves; the names are the documentation of these public methods.
#pragma warning disable CS1591
using System.Collections.Concurrent;
using NodaTime;

namespace Limps.Sessions.Testing;

// idle timeout boundaries
public abstract partial class RegistryContractTests
{
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
}
