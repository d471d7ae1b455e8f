using Microsoft.Extensions.Logging;
using NodaTime;
using NodaTime.Testing;

namespace Limps.Sessions.Tests;

/// <summary>
/// An in-memory ledger whose writes can be held open, the way a remote store's round trip holds them: while the gate is
/// shut, <see cref="RecordAsync"/> returns a pending task that completes (and records) only when it is opened.
/// </summary>
internal sealed class GatedLedger(InMemoryExpiryLedger inner) : IExpiryLedger
{
    private TaskCompletionSource? _gate;
    private int _pending;

    public int Pending => Volatile.Read(ref _pending);

    public void Shut() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Open() => Interlocked.Exchange(ref _gate, null)?.TrySetResult();

    public ValueTask<bool> RecordAsync(ExpiredSession session, CancellationToken cancellationToken = default)
    {
        TaskCompletionSource? gate = _gate;
        return gate is null ? inner.RecordAsync(session, cancellationToken) : RecordLaterAsync(gate.Task, session, cancellationToken);
    }

    public ValueTask<ExpiredSession?> FindAsync(SessionId id, CancellationToken cancellationToken = default) =>
        inner.FindAsync(id, cancellationToken);

    public ValueTask<int> PruneAsync(CancellationToken cancellationToken = default) => inner.PruneAsync(cancellationToken);

    public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) => inner.CountAsync(cancellationToken);

    private async ValueTask<bool> RecordLaterAsync(Task gate, ExpiredSession session, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _pending);
        try
        {
            await gate;
            return await inner.RecordAsync(session, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
        }
    }
}

/// <summary>
/// A logger that throws, like a provider whose disk is full or whose sink is gone: from every call, or only from the
/// events named.
/// </summary>
internal sealed class ThrowingLogger<T>(params string[] onlyEvents) : ILogger<T>
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (onlyEvents.Length == 0 || onlyEvents.Contains(eventId.Name, StringComparer.Ordinal))
        {
            Interlocked.Increment(ref _calls);
            throw new IOException($"The log sink failed while writing {eventId.Name}.");
        }
    }
}

/// <summary>
/// A fake clock that runs an action once, from inside the next reading, before that reading returns: a way to make
/// another operation happen exactly between an operation's reading of the clock and what it does next.
/// </summary>
internal sealed class InterleavingClock(Instant start) : IClock
{
    private Action? _onNextRead;

    public FakeClock Inner { get; } = new(start);

    /// <summary>Arms the action; the instant returned to the reader that triggers it is the one from before it ran.</summary>
    public void OnNextRead(Action action) => _onNextRead = action;

    public Instant GetCurrentInstant()
    {
        Instant now = Inner.GetCurrentInstant();
        Interlocked.Exchange(ref _onNextRead, null)?.Invoke();
        return now;
    }
}
