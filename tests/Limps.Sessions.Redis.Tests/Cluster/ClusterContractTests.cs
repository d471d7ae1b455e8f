using NodaTime.Testing;

namespace Limps.Sessions.Redis.Tests.Cluster;

// The shared contract suites on a real Redis Cluster, with the session space (and each handle kind) in 16 shards over
// the three masters, as the docs recommend for a cluster. Every script must keep to one hash slot (a cluster refuses
// anything else with CROSSSLOT) while a store's keys spread over every master, so these prove cross-slot correctness;
// the capacities are then enforced per shard, which the suites check through StoreCapacity.Partitioned. (One shard on
// the cluster was run here before: its scripts and answers are the single-node ones, which the Contract and Handles
// suites prove against one redis-server, and putting every key in one slot proves less about slots than this does.)

/// <summary>The registry contract on the Redis registry, 16 shards on the test cluster.</summary>
[TestFixture]
public sealed class ClusterRegistryContractTests : RegistryContractTests
{
    protected override StoreCapacity Capacity => ClusterShards.Capacity;

    protected override RegistryHarness Create(Action<LimpsSessionsOptions>? configure = null)
    {
        var options = new LimpsSessionsOptions();
        configure?.Invoke(options);
        var clock = new FakeClock(TestTime.Start);
        RedisSessionStoreOptions redisOptions = ClusterShards.Options();
        var observer = new RecordingObserver();
        var registry = new RedisSessionRegistry(RedisTestCluster.Connection, options, redisOptions, clock, [observer]);
        var ledger = new RedisExpiryLedger(RedisTestCluster.Connection, options, redisOptions, clock);
        return new RegistryHarness(options, clock, registry, ledger, observer, registry.Dispose);
    }
}

/// <summary>The ledger contract on the Redis ledger, 16 shards on the test cluster.</summary>
[TestFixture]
public sealed class ClusterLedgerContractTests : LedgerContractTests
{
    protected override StoreCapacity Capacity => ClusterShards.Capacity;

    protected override IExpiryLedger Create(FakeClock clock, LimpsSessionsOptions options) =>
        new RedisExpiryLedger(RedisTestCluster.Connection, options, ClusterShards.Options(), clock);
}

/// <summary>The handle-store contract on the Redis handle store, 16 shards on the test cluster.</summary>
[TestFixture]
public sealed class ClusterHandleStoreContractTests : HandleStoreContractTests
{
    protected override StoreCapacity Capacity => ClusterShards.Capacity;

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
            ClusterShards.Options(),
            clock,
            [observer]);
        return new HandleStoreHarness(options, clock, store, observer, () => store.Registry.LedgerCountAsync(), store.Dispose);
    }
}
