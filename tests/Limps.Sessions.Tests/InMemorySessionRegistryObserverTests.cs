using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Limps.Sessions.Tests;

/// <summary>Lifecycle observers: started and ended exactly once, and their failures never break the registry.</summary>
public class InMemorySessionRegistryObserverTests
{
    [Test]
    public async Task OnSessionStarted_is_called_once_with_the_new_session()
    {
        using var h = new RegistryHarness();
        var metadata = new Dictionary<string, string> { ["k"] = "v" };

        SessionInfo info = await h.Registry.CreateAsync(owner: "alice", metadata: metadata);

        SessionInfo started = h.Observer.Started.Should().ContainSingle().Subject;
        started.Id.Should().Be(info.Id);
        started.CreatedAt.Should().Be(TestTime.Start);
        started.LastActiveAt.Should().Be(TestTime.Start);
        started.Owner.Should().Be("alice");
        started.Metadata.Should().BeEquivalentTo(metadata);
        h.Observer.Ended.Should().BeEmpty();
    }

    [Test]
    public async Task OnSessionEnded_is_called_once_per_session_whatever_ends_it()
    {
        using var h = new RegistryHarness();
        SessionInfo byEnd = await h.Registry.CreateAsync();
        SessionInfo byLookup = await h.Registry.CreateAsync();
        SessionInfo byTouch = await h.Registry.CreateAsync();
        SessionInfo bySweep = await h.Registry.CreateAsync();
        SessionInfo byEndAll = await h.Registry.CreateAsync();
        SessionInfo byOverdueEnd = await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(1));
        await h.Registry.TouchAsync(byEndAll.Id);

        await h.Registry.EndAsync(byEnd.Id, ExpiryReason.Deleted);
        await h.Registry.EndAsync(byEnd.Id, ExpiryReason.Closed);
        h.AdvanceTo(TestTime.Start + h.Idle);
        await h.Registry.LookupAsync(byLookup.Id);
        await h.Registry.LookupAsync(byLookup.Id);
        await h.Registry.TouchAsync(byTouch.Id);
        await h.Registry.EndAsync(byOverdueEnd.Id, ExpiryReason.Deleted);
        await h.Registry.SweepAsync();
        await h.Registry.EndAllAsync(ExpiryReason.Closed);
        await h.Registry.SweepAsync();

        h.Observer.EndedCountById.Should().HaveCount(6);
        h.Observer.EndedCountById.Values.Should().NotContain(count => count != 1);
        h.Observer.EndedFor(byEnd.Id).Single().Reason.Should().Be(ExpiryReason.Deleted);
        h.Observer.EndedFor(byLookup.Id).Single().Reason.Should().Be(ExpiryReason.Timeout);
        h.Observer.EndedFor(byTouch.Id).Single().Reason.Should().Be(ExpiryReason.Timeout);
        h.Observer.EndedFor(bySweep.Id).Single().Reason.Should().Be(ExpiryReason.Timeout);
        h.Observer.EndedFor(byOverdueEnd.Id).Single().Reason.Should().Be(ExpiryReason.Timeout);
        h.Observer.EndedFor(byEndAll.Id).Single().Reason.Should().Be(ExpiryReason.Closed);
    }

    [Test]
    public async Task OnSessionEnded_receives_the_tombstone_the_lookup_answers_with()
    {
        using var h = new RegistryHarness();
        SessionInfo info = await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(2));

        await h.Registry.EndAsync(info.Id, new RevokedReason());

        ExpiredSession notified = h.Observer.Ended.Should().ContainSingle().Subject;
        notified.Should().Be((await h.Registry.LookupAsync(info.Id)).Expiry);
        notified.Id.Should().Be(info.Id);
        notified.Reason.Code.Should().Be("revoked");
        notified.ExpiredAt.Should().Be(TestTime.Start + TestTime.Minutes(2));
        notified.LastActiveAt.Should().Be(TestTime.Start);
    }

    [Test]
    public async Task When_an_observer_is_called_the_state_change_is_complete()
    {
        var probe = new StateProbeObserver();
        using var h = new RegistryHarness(extraObservers: probe);
        probe.Registry = h.Registry;
        probe.Ledger = h.Ledger;

        SessionInfo info = await h.Registry.CreateAsync();
        await h.Registry.EndAsync(info.Id, ExpiryReason.Deleted);

        probe.CountWhenStarted.Should().Be(1);
        probe.LookupWhenStarted.IsActive.Should().BeTrue();
        probe.CountWhenEnded.Should().Be(0);
        probe.LedgerHadTombstoneWhenEnded.Should().BeTrue();
    }

    [Test]
    public async Task A_throwing_observer_breaks_neither_create_nor_end_and_is_logged()
    {
        var logger = new FakeLogger<InMemorySessionRegistry>();
        var thrower = new ThrowingObserver();
        using var h = new RegistryHarness(logger: logger, extraObservers: thrower);

        SessionInfo info = await h.Registry.CreateAsync();

        (await h.Registry.LookupAsync(info.Id)).IsActive.Should().BeTrue();
        h.Registry.Count.Should().Be(1);
        h.Observer.Started.Should().ContainSingle("observers after the failing one are still called");

        (await h.Registry.EndAsync(info.Id, ExpiryReason.Deleted)).Should().BeTrue();

        (await h.Registry.LookupAsync(info.Id)).Expiry.Reason.Should().Be(ExpiryReason.Deleted);
        (await h.Ledger.FindAsync(info.Id)).Should().NotBeNull();
        h.Registry.Count.Should().Be(0);
        h.Observer.Ended.Should().ContainSingle();
        thrower.StartedCalls.Should().Be(1);
        thrower.EndedCalls.Should().Be(1);

        IReadOnlyList<FakeLogRecord> errors = [.. logger.Collector.GetSnapshot().Where(r => r.Level == LogLevel.Error)];
        errors.Should().HaveCount(2);
        errors.Should().OnlyContain(r => r.Id.Name == "ObserverFailed" && r.Exception is InvalidOperationException);
        errors.Select(r => r.Exception!.Message).Should().BeEquivalentTo("observer failed on start", "observer failed on end");
        errors.Should().OnlyContain(r => r.Message.Contains(info.Id.Masked, StringComparison.Ordinal)
                                         && !r.Message.Contains(info.Id.ToString(), StringComparison.Ordinal));
    }

    [Test]
    public async Task A_throwing_observer_does_not_break_the_sweep_or_timeouts()
    {
        var thrower = new ThrowingObserver();
        using var h = new RegistryHarness(extraObservers: thrower);
        SessionInfo a = await h.Registry.CreateAsync();
        SessionInfo b = await h.Registry.CreateAsync();
        h.Advance(h.Idle);

        (await h.Registry.LookupAsync(a.Id)).Expiry.Reason.Should().Be(ExpiryReason.Timeout);
        (await h.Registry.SweepAsync()).Should().Be(1);

        (await h.Registry.LookupAsync(b.Id)).Expiry.Reason.Should().Be(ExpiryReason.Timeout);
        h.Registry.Count.Should().Be(0);
        thrower.EndedCalls.Should().Be(2);
        h.Observer.Ended.Should().HaveCount(2);
    }

    [Test]
    public async Task A_registry_without_observers_or_logger_works()
    {
        var options = new LimpsSessionsOptions();
        var clock = new NodaTime.Testing.FakeClock(TestTime.Start);
        using var registry = new InMemorySessionRegistry(options, clock, new InMemoryExpiryLedger(options, clock));

        SessionInfo info = await registry.CreateAsync();
        (await registry.EndAsync(info.Id, ExpiryReason.Closed)).Should().BeTrue();
        (await registry.LookupAsync(info.Id)).Expiry.Reason.Should().Be(ExpiryReason.Closed);
    }

    private sealed class StateProbeObserver : ISessionLifecycleObserver
    {
        public InMemorySessionRegistry? Registry { get; set; }

        public InMemoryExpiryLedger? Ledger { get; set; }

        public int CountWhenStarted { get; private set; } = -1;

        public SessionLookup LookupWhenStarted { get; private set; }

        public int CountWhenEnded { get; private set; } = -1;

        public bool LedgerHadTombstoneWhenEnded { get; private set; }

        public void OnSessionStarted(SessionInfo session)
        {
            CountWhenStarted = Registry!.Count;
            LookupWhenStarted = Registry.LookupAsync(session.Id).AsTask().GetAwaiter().GetResult();
        }

        public void OnSessionEnded(ExpiredSession session)
        {
            CountWhenEnded = Registry!.Count;
            LedgerHadTombstoneWhenEnded = Ledger!.FindAsync(session.Id).AsTask().GetAwaiter().GetResult() is not null;
        }
    }
}
