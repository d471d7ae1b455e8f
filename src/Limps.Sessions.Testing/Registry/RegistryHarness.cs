using NodaTime;
using NodaTime.Testing;

namespace Limps.Sessions.Testing;

/// <summary>
/// A registry under test on a fake clock, with its ledger and a recording observer; idle timeout 30 minutes unless
/// configured otherwise. A store author builds one in <see cref="RegistryContractTests.Create"/>; the in-memory and
/// Redis registries are tested through the same harness.
/// </summary>
/// <example>
/// <code>
/// protected override RegistryHarness Create(Action&lt;LimpsSessionsOptions&gt;? configure = null)
/// {
///     var options = new LimpsSessionsOptions();
///     configure?.Invoke(options);
///     var clock = new FakeClock(TestTime.Start);
///     var observer = new RecordingObserver();
///     var registry = new MyRegistry(options, clock, [observer]);
///     return new RegistryHarness(options, clock, registry, registry.Ledger, observer, registry.Dispose);
/// }
/// </code>
/// </example>
public sealed class RegistryHarness : IDisposable
{
    private readonly Action _dispose;

    /// <summary>Creates a harness.</summary>
    /// <param name="options">The options the registry was created with (the suites read the idle timeout and capacity).</param>
    /// <param name="clock">The fake clock every expiry decision of the registry reads, starting at <see cref="TestTime.Start"/>.</param>
    /// <param name="registry">The registry under test.</param>
    /// <param name="ledger">The ledger the registry records tombstones in.</param>
    /// <param name="observer">An observer the registry notifies.</param>
    /// <param name="dispose">Releases the registry and whatever the harness created for it.</param>
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

    /// <summary>Gets the options the registry was created with.</summary>
    public LimpsSessionsOptions Options { get; }

    /// <summary>Gets the fake clock of the registry.</summary>
    public FakeClock Clock { get; }

    /// <summary>Gets the registry under test.</summary>
    public ISessionRegistry Registry { get; }

    /// <summary>Gets the ledger of the registry.</summary>
    public IExpiryLedger Ledger { get; }

    /// <summary>Gets the observer the registry notifies.</summary>
    public RecordingObserver Observer { get; }

    /// <summary>Gets the idle timeout.</summary>
    public Duration Idle => Duration.FromTimeSpan(Options.IdleTimeout);

    /// <summary>Gets the fake clock's current instant.</summary>
    public Instant Now => Clock.GetCurrentInstant();

    /// <summary>Moves the fake clock forward.</summary>
    /// <param name="duration">How far.</param>
    public void Advance(Duration duration) => Clock.Advance(duration);

    /// <summary>Moves the fake clock forward to an instant.</summary>
    /// <param name="instant">Where to; not before now.</param>
    public void AdvanceTo(Instant instant)
    {
        Instant now = Clock.GetCurrentInstant();
        if (instant < now)
        {
            throw new InvalidOperationException("The test clock only moves forward.");
        }

        Clock.Advance(instant - now);
    }

    /// <summary>Counts the live sessions.</summary>
    /// <returns>The registry's count.</returns>
    public async Task<int> CountAsync() => await Registry.CountAsync();

    /// <summary>Counts the tombstones.</summary>
    /// <returns>The ledger's count.</returns>
    public async Task<int> LedgerCountAsync() => await Ledger.CountAsync();

    /// <summary>Asks the registry about a session by lookup, touch or a lease released at once.</summary>
    /// <param name="id">The session.</param>
    /// <param name="probe">How to ask.</param>
    /// <returns>The registry's answer.</returns>
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

    /// <summary>Releases the registry (runs the dispose action given to the constructor).</summary>
    public void Dispose() => _dispose();
}
