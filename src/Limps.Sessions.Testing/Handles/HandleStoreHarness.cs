using NodaTime;
using NodaTime.Testing;

namespace Limps.Sessions.Testing;

/// <summary>
/// A handle store under test on a fake clock, with a recording observer and a way to count its ledger. Kind
/// <c>basket</c>, prefix <c>bsk_</c>, created by <c>create_basket</c>, idle timeout 24 hours unless configured
/// otherwise. A store author builds one in <see cref="HandleStoreContractTests.Create"/>; the in-memory and Redis
/// stores are tested through the same harness.
/// </summary>
/// <example>
/// <code>
/// protected override HandleStoreHarness Create(Action&lt;HandleKindOptions&gt;? configure = null)
/// {
///     HandleKindOptions options = HandleStoreHarness.BasketOptions();
///     configure?.Invoke(options);
///     var clock = new FakeClock(TestTime.Start);
///     var observer = new RecordingObserver();
///     var store = new MyHandleStore&lt;Basket&gt;(options, MyJson.Default.Basket, clock, [observer]);
///     return new HandleStoreHarness(options, clock, store, observer, () => store.CountLedgerAsync(), store.Dispose);
/// }
/// </code>
/// </example>
public sealed class HandleStoreHarness : IDisposable
{
    private readonly Func<Task<int>> _ledgerCount;
    private readonly Action _dispose;

    /// <summary>Creates a harness.</summary>
    /// <param name="options">The kind's options the store was created with (the suite reads the timeouts and caps).</param>
    /// <param name="clock">The fake clock every expiry decision of the store reads, starting at <see cref="TestTime.Start"/>.</param>
    /// <param name="store">The store under test.</param>
    /// <param name="observer">The observer the store notifies when handles start and end.</param>
    /// <param name="ledgerCount">Counts the ended handles the store's ledger holds.</param>
    /// <param name="dispose">Releases the store (and anything created for it).</param>
    public HandleStoreHarness(
        HandleKindOptions options,
        FakeClock clock,
        IHandleStore<Basket> store,
        RecordingObserver observer,
        Func<Task<int>> ledgerCount,
        Action dispose)
    {
        Options = options;
        Clock = clock;
        Store = store;
        Observer = observer;
        _ledgerCount = ledgerCount;
        _dispose = dispose;
    }

    /// <summary>The options every harness starts from, before a test's own changes.</summary>
    /// <returns>New options of kind <c>basket</c>, prefix <c>bsk_</c>, created by <c>create_basket</c>.</returns>
    public static HandleKindOptions BasketOptions() => new()
    {
        Name = "basket",
        Prefix = "bsk_",
        CreateToolName = "create_basket",
    };

    /// <summary>Gets the kind's options the store was created with.</summary>
    public HandleKindOptions Options { get; }

    /// <summary>Gets the fake clock the store reads.</summary>
    public FakeClock Clock { get; }

    /// <summary>Gets the store under test.</summary>
    public IHandleStore<Basket> Store { get; }

    /// <summary>Gets the observer the store notifies.</summary>
    public RecordingObserver Observer { get; }

    /// <summary>Gets the kind's idle timeout.</summary>
    public Duration Idle => Duration.FromTimeSpan(Options.IdleTimeout);

    /// <summary>Gets the fake clock's current instant.</summary>
    public Instant Now => Clock.GetCurrentInstant();

    /// <summary>Moves the fake clock forward.</summary>
    /// <param name="duration">How far.</param>
    public void Advance(Duration duration) => Clock.Advance(duration);

    /// <summary>Counts the ended handles the store's ledger holds.</summary>
    /// <returns>The count.</returns>
    public Task<int> LedgerCountAsync() => _ledgerCount();

    /// <summary>Releases the store.</summary>
    public void Dispose() => _dispose();
}
