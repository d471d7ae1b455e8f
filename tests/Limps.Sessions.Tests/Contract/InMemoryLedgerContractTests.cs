using NodaTime.Testing;

namespace Limps.Sessions.Tests.Contract;

[TestFixture]
public sealed class InMemoryLedgerContractTests : LedgerContractTests
{
    protected override IExpiryLedger Create(FakeClock clock, LimpsSessionsOptions options) =>
        new InMemoryExpiryLedger(options, clock);
}
