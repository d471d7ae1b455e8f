using NodaTime;
using NodaTime.Testing;

namespace Limps.Sessions.Tests.Contract;

/// <summary>
/// A registry under test on a fake clock, with its ledger and a recording observer; idle timeout 30 minutes unless
/// configured otherwise. The same harness wraps the in-memory registry and the Redis one.
/// </summary>
public sealed class RegistryHarness : IDisposable
{
    private readonly Action _dispose;

    public RegistryHarness(
        LimpsSessionsOptions options,
        FakeClock clock,
        ISessionRegistry registry,
        IExpiryLedger ledger,
        RecordingObserver observer,
        Action dispose)
    {
        Options = options;
        Clock = clock;
        Registry = registry;
        Ledger = ledger;
        Observer = observer;
        _dispose = dispose;
    }

    public LimpsSessionsOptions Options { get; }

    public FakeClock Clock { get; }

    public ISessionRegistry Registry { get; }

    public IExpiryLedger Ledger { get; }

    public RecordingObserver Observer { get; }

    public Duration Idle => Duration.FromTimeSpan(Options.IdleTimeout);

    public Instant Now => Clock.GetCurrentInstant();

    public void Advance(Duration duration) => Clock.Advance(duration);

    public void AdvanceTo(Instant instant)
    {
        Instant now = Clock.GetCurrentInstant();
        if (instant < now)
        {
            throw new InvalidOperationException("The test clock only moves forward.");
        }

        Clock.Advance(instant - now);
    }

    public async Task<int> CountAsync() => await Registry.CountAsync();

    public async Task<int> LedgerCountAsync() => await Ledger.CountAsync();

    public async Task<SessionLookup> AskAsync(SessionId id, Probe probe)
    {
        switch (probe)
        {
            case Probe.Lookup:
                return await Registry.LookupAsync(id);
            case Probe.Touch:
                return await Registry.TouchAsync(id);
            default:
                await using (SessionLease lease = await Registry.BeginLeaseAsync(id))
                {
                    lease.IsHeld.Should().Be(lease.Lookup.IsActive);
                    return lease.Lookup;
                }
        }
    }

    public void Dispose() => _dispose();
}
