using Limps.Sessions.Redis.Tests.Infrastructure;
using NodaTime.Testing;

namespace Limps.Sessions.Redis.Tests.Contract;

/// <summary>The registry contract on the Redis registry, against the real redis-server the tests started.</summary>
[TestFixture]
public sealed class RedisRegistryContractTests : RegistryContractTests
{
    protected override RegistryHarness Create(Action<LimpsSessionsOptions>? configure = null)
    {
        var options = new LimpsSessionsOptions();
        configure?.Invoke(options);
        var clock = new FakeClock(TestTime.Start);
        var redisOptions = new RedisSessionStoreOptions { KeyPrefix = RedisTestServer.NewPrefix() };
        var observer = new RecordingObserver();
        var registry = new RedisSessionRegistry(RedisTestServer.Connection, options, redisOptions, clock, [observer]);
        var ledger = new RedisExpiryLedger(RedisTestServer.Connection, options, redisOptions, clock);
        return new RegistryHarness(options, clock, registry, ledger, observer, registry.Dispose);
    }
}
