using System.Collections.Concurrent;

namespace Limps.Sessions.AspNetCore.Tests.Infrastructure;

/// <summary>Records which sessions the MCP SDK itself closed, and lets a test await one.</summary>
public sealed class SdkSessionLog
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _closed = new(StringComparer.Ordinal);

    private int _closedCount;

    public int ClosedCount => Volatile.Read(ref _closedCount);

    public void Closed(string sessionId)
    {
        Interlocked.Increment(ref _closedCount);
        Signal(sessionId).TrySetResult();
    }

    public bool HasClosed(string sessionId) => _closed.TryGetValue(sessionId, out var signal) && signal.Task.IsCompleted;

    /// <summary>Completes with true once the SDK closed the session, or false after the bound (no clock is advanced).</summary>
    public async Task<bool> WaitForCloseAsync(string sessionId, TimeSpan? within = null)
    {
        Task closed = Signal(sessionId).Task;
        return await Task.WhenAny(closed, Task.Delay(within ?? TimeSpan.FromSeconds(10))) == closed;
    }

    private TaskCompletionSource Signal(string sessionId) =>
        _closed.GetOrAdd(sessionId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
