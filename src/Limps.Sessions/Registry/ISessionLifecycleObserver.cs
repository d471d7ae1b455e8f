namespace Limps.Sessions;

/// <summary>
/// Receives a notification when a session starts and when it ends (with its tombstone). Registries call
/// observers inline, after the state change is complete, and catch and log what they throw: keep the work
/// short and hand anything slow to a queue of your own.
/// </summary>
public interface ISessionLifecycleObserver
{
    /// <summary>Called once when a session was created.</summary>
    /// <param name="session">The new session.</param>
    void OnSessionStarted(SessionInfo session);

    /// <summary>Called exactly once when a session ended, whatever the reason.</summary>
    /// <param name="session">The tombstone written for it.</param>
    void OnSessionEnded(ExpiredSession session);
}
