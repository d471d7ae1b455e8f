using NodaTime;

namespace Limps.Sessions.Tests;

/// <summary>The sweep ends exactly the due sessions, reschedules refreshed ones, and prunes the ledger.</summary>
public class InMemorySessionRegistrySweepTests
{
    [Test]
    public async Task Sweep_of_an_empty_registry_returns_zero()
    {
        using var h = new RegistryHarness();
        (await h.Registry.SweepAsync()).Should().Be(0);
        h.Advance(Duration.FromDays(1));
        (await h.Registry.SweepAsync()).Should().Be(0);
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
