using NodaTime;
using NodaTime.Testing;

namespace Limps.Sessions.Tests;

/// <summary>
/// The registry over a ledger that completes asynchronously (as a distributed store does) or fails: answers stay
/// the same, and a session that ended is never left half-ended.
/// </summary>
public class InMemorySessionRegistryLedgerTests
{
    private static (InMemorySessionRegistry Registry, FakeClock Clock, RecordingObserver Observer) Create(
        IExpiryLedger ledger, FakeClock clock)
    {
        var observer = new RecordingObserver();
        var registry = new InMemorySessionRegistry(new LimpsSessionsOptions(), clock, ledger, [observer]);
        return (registry, clock, observer);
    }

    [Test]
    public async Task Every_operation_gives_the_same_answers_over_an_asynchronous_ledger()
    {
        var clock = new FakeClock(TestTime.Start);
        var ledger = new AsynchronousLedger(new InMemoryExpiryLedger(new LimpsSessionsOptions(), clock));
        (InMemorySessionRegistry registry, _, RecordingObserver observer) = Create(ledger, clock);
        using (registry)
        {
            SessionInfo ended = await registry.CreateAsync();
            SessionInfo overdueByLookup = await registry.CreateAsync();
            SessionInfo overdueByLease = await registry.CreateAsync();
            SessionInfo overdueByEnd = await registry.CreateAsync();
            SessionInfo overdueBySweep = await registry.CreateAsync();

            (await registry.LookupAsync(SessionId.New())).IsNotFound.Should().BeTrue();
            (await registry.EndAsync(ended.Id, ExpiryReason.Deleted)).Should().BeTrue();
            (await registry.LookupAsync(ended.Id)).Expiry.Reason.Should().Be(ExpiryReason.Deleted);
            await using (SessionLease lease = await registry.BeginLeaseAsync(ended.Id))
            {
                lease.IsHeld.Should().BeFalse();
                lease.Lookup.Expiry.Reason.Should().Be(ExpiryReason.Deleted);
            }

            clock.Advance(Duration.FromMinutes(30));
            (await registry.LookupAsync(overdueByLookup.Id)).Expiry.Reason.Should().Be(ExpiryReason.Timeout);
            await using (SessionLease lease = await registry.BeginLeaseAsync(overdueByLease.Id))
            {
                lease.IsHeld.Should().BeFalse();
                lease.Lookup.Expiry.Reason.Should().Be(ExpiryReason.Timeout);
            }

            (await registry.EndAsync(overdueByEnd.Id, ExpiryReason.Deleted)).Should().BeFalse();
            (await registry.SweepAsync()).Should().Be(1);
            (await registry.LookupAsync(overdueBySweep.Id)).Expiry.Reason.Should().Be(ExpiryReason.Timeout);

            registry.Count.Should().Be(0);
            ledger.Records.Should().Be(5);
            observer.EndedCountById.Should().HaveCount(5);
            observer.EndedCountById.Values.Should().NotContain(count => count != 1);
        }
    }

    [Test]
    public async Task A_lease_on_a_live_session_works_over_an_asynchronous_ledger()
    {
        var clock = new FakeClock(TestTime.Start);
        var ledger = new AsynchronousLedger(new InMemoryExpiryLedger(new LimpsSessionsOptions(), clock));
        (InMemorySessionRegistry registry, _, _) = Create(ledger, clock);
        using (registry)
        {
            SessionInfo info = await registry.CreateAsync();
            SessionLease lease = await registry.BeginLeaseAsync(info.Id);
            lease.IsHeld.Should().BeTrue();
            clock.Advance(Duration.FromHours(2));
            (await registry.SweepAsync()).Should().Be(0);
            await lease.DisposeAsync();
            (await registry.LookupAsync(info.Id)).IsActive.Should().BeTrue();
        }
    }

    [Test]
    public async Task A_ledger_that_throws_fails_the_end_but_the_session_still_ends_once()
    {
        var clock = new FakeClock(TestTime.Start);
        var ledger = new FailingLedger(synchronous: true);
        (InMemorySessionRegistry registry, _, RecordingObserver observer) = Create(ledger, clock);
        using (registry)
        {
            SessionInfo info = await registry.CreateAsync();

            await FluentActions.Awaiting(async () => await registry.EndAsync(info.Id, ExpiryReason.Deleted))
                .Should().ThrowAsync<IOException>();

            registry.Count.Should().Be(0);
            observer.Ended.Should().ContainSingle().Which.Reason.Should().Be(ExpiryReason.Deleted);
            (await registry.EndAsync(info.Id, ExpiryReason.Closed)).Should().BeFalse();
            (await registry.LookupAsync(info.Id)).IsNotFound.Should().BeTrue("the store lost the tombstone");
        }
    }

    [Test]
    public async Task A_ledger_that_fails_asynchronously_fails_the_end_but_the_session_still_ends_once()
    {
        var clock = new FakeClock(TestTime.Start);
        var ledger = new FailingLedger(synchronous: false);
        (InMemorySessionRegistry registry, _, RecordingObserver observer) = Create(ledger, clock);
        using (registry)
        {
            SessionInfo info = await registry.CreateAsync();

            await FluentActions.Awaiting(async () => await registry.EndAsync(info.Id, ExpiryReason.Deleted))
                .Should().ThrowAsync<IOException>();

            registry.Count.Should().Be(0);
            observer.Ended.Should().ContainSingle();
            (await registry.EndAsync(info.Id, ExpiryReason.Closed)).Should().BeFalse();
        }
    }

    [Test]
    public async Task A_sweep_whose_ledger_fails_keeps_the_remaining_due_sessions_scheduled()
    {
        var clock = new FakeClock(TestTime.Start);
        var ledger = new FailingLedger(synchronous: false) { FailuresLeft = 1 };
        (InMemorySessionRegistry registry, _, RecordingObserver observer) = Create(ledger, clock);
        using (registry)
        {
            for (int i = 0; i < 4; i++)
            {
                await registry.CreateAsync();
            }

            clock.Advance(Duration.FromMinutes(30));
            await FluentActions.Awaiting(async () => await registry.SweepAsync()).Should().ThrowAsync<IOException>();
            registry.Count.Should().Be(3);

            (await registry.SweepAsync()).Should().Be(3);
            registry.Count.Should().Be(0);
            observer.EndedCountById.Should().HaveCount(4);
        }
    }

    /// <summary>Delegates to an in-memory ledger but completes every call asynchronously.</summary>
    private sealed class AsynchronousLedger(IExpiryLedger inner) : IExpiryLedger
    {
        private int _records;

        public int Records => Volatile.Read(ref _records);

        public async ValueTask<bool> RecordAsync(ExpiredSession session, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            Interlocked.Increment(ref _records);
            return await inner.RecordAsync(session, cancellationToken);
        }

        public async ValueTask<ExpiredSession?> FindAsync(SessionId id, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            return await inner.FindAsync(id, cancellationToken);
        }

        public async ValueTask<int> PruneAsync(CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            return await inner.PruneAsync(cancellationToken);
        }

        public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) => inner.CountAsync(cancellationToken);
    }

    /// <summary>A store that is down: recording fails, synchronously or not; it remembers nothing.</summary>
    private sealed class FailingLedger(bool synchronous) : IExpiryLedger
    {
        public int FailuresLeft { get; set; } = int.MaxValue;

        public ValueTask<bool> RecordAsync(ExpiredSession session, CancellationToken cancellationToken = default)
        {
            if (FailuresLeft-- <= 0)
            {
                return new ValueTask<bool>(true);
            }

            return synchronous ? throw new IOException("store down") : FailLater();

            static async ValueTask<bool> FailLater()
            {
                await Task.Yield();
                throw new IOException("store down");
            }
        }

        public ValueTask<ExpiredSession?> FindAsync(SessionId id, CancellationToken cancellationToken = default) =>
            new((ExpiredSession?)null);

        public ValueTask<int> PruneAsync(CancellationToken cancellationToken = default) => new(0);

        public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) => new(0);
    }
}
