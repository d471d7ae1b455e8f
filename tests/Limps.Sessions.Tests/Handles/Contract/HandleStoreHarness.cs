using NodaTime;
using NodaTime.Testing;

namespace Limps.Sessions.Tests.Handles.Contract;

/// <summary>
/// A handle store under test on a fake clock, with a recording observer and a way to count its ledger. Kind
/// <c>basket</c>, prefix <c>bsk_</c>, created by <c>create_basket</c>, idle timeout 24 hours unless configured
/// otherwise. The same harness will wrap the Redis store.
/// </summary>
public sealed class HandleStoreHarness : IDisposable
{
    private readonly Func<Task<int>> _ledgerCount;
    private readonly Action _dispose;

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
    public static HandleKindOptions BasketOptions() => new()
    {
        Name = "basket",
        Prefix = "bsk_",
        CreateToolName = "create_basket",
    };

    public HandleKindOptions Options { get; }

    public FakeClock Clock { get; }

    public IHandleStore<Basket> Store { get; }

    public RecordingObserver Observer { get; }

    public Duration Idle => Duration.FromTimeSpan(Options.IdleTimeout);

    public Instant Now => Clock.GetCurrentInstant();

    public void Advance(Duration duration) => Clock.Advance(duration);

    public Task<int> LedgerCountAsync() => _ledgerCount();

    public void Dispose() => _dispose();
}

/// <summary>The state the contract suite keeps per handle: a basket of items, immutable, so updates return a new one; equal by its items.</summary>
public sealed record Basket(IReadOnlyList<string> Items)
{
    public static Basket Empty { get; } = new(Array.Empty<string>());

    public static Basket Of(params string[] items) => new(items);

    public Basket Add(string item) => new([.. Items, item]);

    // By content: a store that keeps states as JSON gives back an equal basket, not the same list.
    public bool Equals(Basket? other) => other is not null && Items.SequenceEqual(other.Items);

    public override int GetHashCode() => Items.Count;
}
