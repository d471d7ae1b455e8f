using NodaTime;

namespace Limps.Sessions.Tests;

/// <summary>The sweep ends exactly the due sessions, reschedules refreshed ones, and prunes the ledger.</summary>
public class InMemorySessionRegistrySweepTests
{
    [Test]
    public async Task Sweep_ends_exactly_the_due_sessions_and_returns_how_many()
    {
        using var h = new RegistryHarness(o => o.MaxSessions = 2_000);
        var ids = new List<SessionId>();
        for (int i = 0; i < 1_000; i++)
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
        (await h.Registry.SweepAsync()).Should().Be(500);

        h.Registry.Count.Should().Be(500);
        h.Observer.Ended.Select(e => e.Id.ToString()).Order(StringComparer.Ordinal)
            .Should().Equal(idle.Select(id => id.ToString()).Order(StringComparer.Ordinal));
        foreach (SessionId id in idle)
        {
            ExpiredSession tombstone = (await h.Ledger.FindAsync(id))!;
            tombstone.Reason.Should().Be(ExpiryReason.Timeout);
            tombstone.ExpiredAt.Should().Be(TestTime.Start + h.Idle);
        }

        foreach (SessionId id in touched)
        {
            (await h.Registry.LookupAsync(id)).IsActive.Should().BeTrue();
        }

        (await h.Registry.SweepAsync()).Should().Be(0, "nothing else is due yet");

        h.AdvanceTo(TestTime.Start + TestTime.Minutes(10) + h.Idle);
        (await h.Registry.SweepAsync()).Should().Be(500);
        h.Registry.Count.Should().Be(0);
        h.Observer.EndedCountById.Should().HaveCount(1_000);
        h.Observer.EndedCountById.Values.Should().NotContain(count => count != 1);
    }

    [Test]
    public async Task A_late_sweep_records_the_deadline_not_the_sweep_time()
    {
        using var h = new RegistryHarness();
        SessionInfo info = await h.Registry.CreateAsync();

        h.Advance(TestTime.Minutes(47));
        (await h.Registry.SweepAsync()).Should().Be(1);

        ExpiredSession tombstone = (await h.Registry.LookupAsync(info.Id)).Expiry;
        tombstone.ExpiredAt.Should().Be(TestTime.Start + h.Idle);
        tombstone.LastActiveAt.Should().Be(TestTime.Start);
    }

    [Test]
    public async Task Sweep_of_an_empty_registry_returns_zero()
    {
        using var h = new RegistryHarness();
        (await h.Registry.SweepAsync()).Should().Be(0);
        h.Advance(Duration.FromDays(1));
        (await h.Registry.SweepAsync()).Should().Be(0);
    }

    [Test]
    public async Task Sessions_touched_after_they_were_scheduled_are_rescheduled_not_ended()
    {
        using var h = new RegistryHarness();
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
        using var h = new RegistryHarness();
        SessionInfo info = await h.Registry.CreateAsync();
        h.Advance(h.Idle);

        (await h.Registry.LookupAsync(info.Id)).IsExpired.Should().BeTrue();

        (await h.Registry.SweepAsync()).Should().Be(0);
        h.Observer.Ended.Should().ContainSingle();
    }

    [Test]
    public async Task Sweep_prunes_the_ledger()
    {
        using var h = new RegistryHarness(o => o.LedgerRetention = TimeSpan.FromHours(1));
        for (int i = 0; i < 3; i++)
        {
            SessionInfo info = await h.Registry.CreateAsync();
            await h.Registry.EndAsync(info.Id, ExpiryReason.Closed);
        }

        h.Ledger.Count.Should().Be(3);

        h.Advance(TestTime.Minutes(50));
        await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(10));
        h.Ledger.Count.Should().Be(3);

        (await h.Registry.SweepAsync()).Should().Be(0);

        h.Ledger.Count.Should().Be(0);
        h.Registry.Count.Should().Be(1);
    }

    [Test]
    public async Task A_cancelled_sweep_throws_and_loses_no_due_session()
    {
        using var h = new RegistryHarness();
        var ids = new List<SessionId>();
        for (int i = 0; i < 5; i++)
        {
            ids.Add((await h.Registry.CreateAsync()).Id);
        }

        h.Advance(h.Idle);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await FluentActions.Awaiting(async () => await h.Registry.SweepAsync(cancelled.Token))
            .Should().ThrowAsync<OperationCanceledException>();

        (await h.Registry.SweepAsync()).Should().Be(5, "due sessions must stay scheduled when a sweep is cancelled");
        h.Registry.Count.Should().Be(0);
    }

    [Test]
    public async Task A_sweep_cancelled_by_an_observer_midway_keeps_the_rest_scheduled()
    {
        using var cancel = new CancellationTokenSource();
        var canceller = new CancellingObserver(cancel);
        using var h = new RegistryHarness(extraObservers: canceller);
        var ids = new List<SessionId>();
        for (int i = 0; i < 10; i++)
        {
            ids.Add((await h.Registry.CreateAsync()).Id);
        }

        h.Advance(h.Idle);

        await FluentActions.Awaiting(async () => await h.Registry.SweepAsync(cancel.Token))
            .Should().ThrowAsync<OperationCanceledException>();
        h.Registry.Count.Should().Be(9, "the sweep ended one session, then saw the cancellation");

        (await h.Registry.SweepAsync()).Should().Be(9);
        h.Registry.Count.Should().Be(0);
        h.Observer.EndedCountById.Should().HaveCount(10);
        h.Observer.EndedCountById.Values.Should().NotContain(count => count != 1);
    }

    [Test]
    public async Task A_large_flood_drains_and_the_registry_keeps_working()
    {
        using var h = new RegistryHarness(o => o.MaxSessions = 20_000);
        for (int i = 0; i < 10_000; i++)
        {
            await h.Registry.CreateAsync();
        }

        h.Advance(h.Idle);
        (await h.Registry.SweepAsync()).Should().Be(10_000);
        h.Registry.Count.Should().Be(0);

        SessionInfo info = await h.Registry.CreateAsync();
        h.Advance(h.Idle - TestTime.OneTick);
        (await h.Registry.SweepAsync()).Should().Be(0);
        h.Advance(TestTime.OneTick);
        (await h.Registry.SweepAsync()).Should().Be(1);
        (await h.Registry.LookupAsync(info.Id)).Expiry.Reason.Should().Be(ExpiryReason.Timeout);
    }

    [Test]
    public async Task Sessions_due_at_different_times_are_swept_in_deadline_order()
    {
        using var h = new RegistryHarness();
        var created = new List<(SessionId Id, Instant At)>();
        var random = new Random(1234);
        for (int i = 0; i < 300; i++)
        {
            h.Advance(Duration.FromSeconds(random.Next(0, 20)));
            created.Add(((await h.Registry.CreateAsync()).Id, h.Now));
        }

        Instant end = h.Now + h.Idle;
        Instant cursor = h.Now;
        while (cursor <= end)
        {
            h.AdvanceTo(cursor);
            int expected = created.Count(c => c.At + h.Idle <= cursor) - h.Observer.Ended.Count;
            (await h.Registry.SweepAsync()).Should().Be(expected);
            cursor += Duration.FromSeconds(7);
        }

        h.AdvanceTo(end);
        await h.Registry.SweepAsync();
        h.Registry.Count.Should().Be(0);
        foreach ((SessionId id, Instant at) in created)
        {
            (await h.Ledger.FindAsync(id))!.ExpiredAt.Should().Be(at + h.Idle);
        }
    }

    /// <summary>Cancels a token the first time a session ends.</summary>
    private sealed class CancellingObserver(CancellationTokenSource source) : ISessionLifecycleObserver
    {
        public void OnSessionStarted(SessionInfo session)
        {
        }

        public void OnSessionEnded(ExpiredSession session) => source.Cancel();
    }
}
