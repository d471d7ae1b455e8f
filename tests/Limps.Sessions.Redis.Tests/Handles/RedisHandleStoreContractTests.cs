using NodaTime.Testing;

namespace Limps.Sessions.Redis.Tests.Handles;

/// <summary>The handle-store contract on the Redis store, against the real redis-server the tests started.</summary>
[TestFixture]
public sealed class RedisHandleStoreContractTests : HandleStoreContractTests
{
    protected override HandleStoreHarness Create(Action<HandleKindOptions>? configure = null)
    {
        HandleKindOptions options = HandleStoreHarness.BasketOptions();
        configure?.Invoke(options);
        var clock = new FakeClock(TestTime.Start);
        var observer = new RecordingObserver();
        var store = new RedisHandleStore<Basket>(
            RedisTestServer.Connection,
            options,
            HandleJsonContext.Default.Basket,
            new RedisSessionStoreOptions { KeyPrefix = RedisTestServer.NewPrefix() },
            clock,
            [observer]);
        return new HandleStoreHarness(
            options,
            clock,
            store,
            observer,
            () => store.Registry.LedgerCountAsync(),
            store.Dispose);
    }
}
