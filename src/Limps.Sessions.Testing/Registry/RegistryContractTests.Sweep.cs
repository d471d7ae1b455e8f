// Each test's name says what it proves; the names are the documentation of these public methods.
#pragma warning disable CS1591
using System.Collections.Concurrent;
using NodaTime;

namespace Limps.Sessions.Testing;

// sweep
public abstract partial class RegistryContractTests
{
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
}
