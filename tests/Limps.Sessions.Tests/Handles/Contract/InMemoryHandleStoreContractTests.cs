using NodaTime.Testing;

namespace Limps.Sessions.Tests.Handles.Contract;

/// <summary>The handle-store contract on the in-memory store: the reference the Redis store must match.</summary>
[TestFixture]
public sealed class InMemoryHandleStoreContractTests : HandleStoreContractTests
{
    protected override HandleStoreHarness Create(Action<HandleKindOptions>? configure = null)
    {
        HandleKindOptions options = HandleStoreHarness.BasketOptions();
        configure?.Invoke(options);
        var clock = new FakeClock(TestTime.Start);
        var observer = new RecordingObserver();
        var store = new InMemoryHandleStore<Basket>(options, clock, [observer]);
        return new HandleStoreHarness(
            options, clock, store, observer, async () => await store.Ledger.CountAsync(), store.Dispose);
    }
}
