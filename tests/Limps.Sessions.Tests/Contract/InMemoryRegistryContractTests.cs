using NodaTime.Testing;

namespace Limps.Sessions.Tests.Contract;

// Inside the namespace, so the suite's harness wins over the in-memory tests' own RegistryHarness.
using Limps.Sessions.Testing;

/// <summary>The registry contract on the in-memory registry: the reference the Redis registry must match.</summary>
[TestFixture]
public sealed class InMemoryRegistryContractTests : RegistryContractTests
{
    protected override RegistryHarness Create(Action<LimpsSessionsOptions>? configure = null)
    {
        var options = new LimpsSessionsOptions();
        configure?.Invoke(options);
        var clock = new FakeClock(TestTime.Start);
        var ledger = new InMemoryExpiryLedger(options, clock);
        var observer = new RecordingObserver();
        var registry = new InMemorySessionRegistry(options, clock, ledger, [observer]);
        return new RegistryHarness(options, clock, registry, ledger, observer, registry.Dispose);
    }
}
