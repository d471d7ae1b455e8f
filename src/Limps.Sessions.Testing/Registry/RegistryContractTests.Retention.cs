// Each test's name says what it proves; the names are the documentation of these public methods.
#pragma warning disable CS1591
using System.Collections.Concurrent;
using NodaTime;

namespace Limps.Sessions.Testing;

// retention as seen through the registry
public abstract partial class RegistryContractTests
{
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
}
