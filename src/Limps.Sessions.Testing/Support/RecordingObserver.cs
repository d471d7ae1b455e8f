using System.Collections.Concurrent;

namespace Limps.Sessions.Testing;

/// <summary>
/// Records every lifecycle notification a registry sends; safe for concurrent use. Pass it to the registry under test
/// so the suites can check that each session starts once and ends exactly once.
/// </summary>
public sealed class RecordingObserver : ISessionLifecycleObserver
{
    /// <summary>Gets the sessions reported started, in order.</summary>
    public ConcurrentQueue<SessionInfo> Started { get; } = new();

    /// <summary>Gets the tombstones of the sessions reported ended, in order.</summary>
    public ConcurrentQueue<ExpiredSession> Ended { get; } = new();

    /// <summary>Gets how many times each session was reported ended (exactly once is right).</summary>
    public ConcurrentDictionary<SessionId, int> EndedCountById { get; } = new();

    /// <inheritdoc />
    public void OnSessionStarted(SessionInfo session) => Started.Enqueue(session);

    /// <inheritdoc />
    public void OnSessionEnded(ExpiredSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        Ended.Enqueue(session);
        EndedCountById.AddOrUpdate(session.Id, 1, (_, count) => count + 1);
    }

    /// <summary>Returns the end notifications of one session.</summary>
    /// <param name="id">The session.</param>
    /// <returns>Its tombstones, in order (one is right).</returns>
    public IReadOnlyList<ExpiredSession> EndedFor(SessionId id) => [.. Ended.Where(e => e.Id == id)];
}
