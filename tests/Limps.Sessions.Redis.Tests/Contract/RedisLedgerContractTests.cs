using NodaTime.Testing;

namespace Limps.Sessions.Redis.Tests.Contract;

[TestFixture]
public sealed class RedisLedgerContractTests : LedgerContractTests
{
    protected override IExpiryLedger Create(FakeClock clock, LimpsSessionsOptions options) =>
        new RedisExpiryLedger(
            RedisTestServer.Connection, options, new RedisSessionStoreOptions { KeyPrefix = RedisTestServer.NewPrefix() }, clock);
}
