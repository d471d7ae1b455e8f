// Each test's name says what it proves; the names are the documentation of these public methods.
#pragma warning disable CS1591
using System.Collections.Concurrent;
using NodaTime;

namespace Limps.Sessions.Testing;

// ends
public abstract partial class RegistryContractTests
{
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
}
