using NodaTime.Testing;

namespace Limps.Sessions.Tests.Contract;

// Inside the namespace, so the suite's harness wins over the in-memory tests' own RegistryHarness.
using Limps.Sessions.Testing;

[TestFixture]
public sealed class InMemoryLedgerContractTests : LedgerContractTests
{
    protected override IExpiryLedger Create(FakeClock clock, LimpsSessionsOptions options) =>
        new InMemoryExpiryLedger(options, clock);
}
