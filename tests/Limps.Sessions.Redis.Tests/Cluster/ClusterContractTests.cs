using NodaTime.Testing;

namespace Limps.Sessions.Redis.Tests.Cluster;

// The shared contract suites on a real Redis Cluster. One shard: every key of a store in one hash slot, so these prove
// that every script keeps to one slot (a cluster refuses anything else with CROSSSLOT) and that the answers are exactly
// the single-node ones. The sharded layout is proven by ShardedClusterTests.

/// <summary>The registry contract on the Redis registry, on the test cluster.</summary>
[TestFixture]
public sealed class ClusterRegistryContractTests : RegistryContractTests
{
    protected override RegistryHarness Create(Action<LimpsSessionsOptions>? configure = null)
    {
        var options = new LimpsSessionsOptions();
        configure?.Invoke(options);
        var clock = new FakeClock(TestTime.Start);
        var redisOptions = new RedisSessionStoreOptions { KeyPrefix = RedisTestServer.NewPrefix() };
        var observer = new RecordingObserver();
        var registry = new RedisSessionRegistry(RedisTestCluster.Connection, options, redisOptions, clock, [observer]);
        var ledger = new RedisExpiryLedger(RedisTestCluster.Connection, options, redisOptions, clock);
        return new RegistryHarness(options, clock, registry, ledger, observer, registry.Dispose);
    }
}

/// <summary>The ledger contract on the Redis ledger, on the test cluster.</summary>
[TestFixture]
public sealed class ClusterLedgerContractTests : LedgerContractTests
{
    protected override IExpiryLedger Create(FakeClock clock, LimpsSessionsOptions options) =>
        new RedisExpiryLedger(
            RedisTestCluster.Connection, options, new RedisSessionStoreOptions { KeyPrefix = RedisTestServer.NewPrefix() }, clock);
}

/// <summary>The handle-store contract on the Redis handle store, on the test cluster.</summary>
[TestFixture]
public sealed class ClusterHandleStoreContractTests : HandleStoreContractTests
{
    protected override HandleStoreHarness Create(Action<HandleKindOptions>? configure = null)
    {
        HandleKindOptions options = HandleStoreHarness.BasketOptions();
        configure?.Invoke(options);
        var clock = new FakeClock(TestTime.Start);
        var observer = new RecordingObserver();
        var store = new RedisHandleStore<Basket>(
            RedisTestCluster.Connection,
            options,
            Handles.HandleJsonContext.Default.Basket,
            new RedisSessionStoreOptions { KeyPrefix = RedisTestServer.NewPrefix() },
            clock,
            [observer]);
        return new HandleStoreHarness(options, clock, store, observer, () => store.Registry.LedgerCountAsync(), store.Dispose);
    }
}
