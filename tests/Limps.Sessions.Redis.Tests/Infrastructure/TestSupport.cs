using System.Collections.Concurrent;
using NodaTime;

namespace Limps.Sessions.Redis.Tests.Infrastructure;

/// <summary>Shared instants and durations of the tests.</summary>
public static class TestTime
{
    /// <summary>Where every fake clock starts.</summary>
    public static readonly Instant Start = Instant.FromUtc(2026, 2, 11, 10, 0);

    /// <summary>The smallest step of a NodaTime clock (100 ns).</summary>
    public static readonly Duration OneTick = Duration.FromTicks(1);

    public static Duration Minutes(int minutes) => Duration.FromMinutes(minutes);
}

/// <summary>How a test asks the registry about a session.</summary>
public enum Probe
{
    Lookup,
    Touch,
    Lease,
}

/// <summary>Records every notification; safe for concurrent use.</summary>
public sealed class RecordingObserver : ISessionLifecycleObserver
{
    public ConcurrentQueue<SessionInfo> Started { get; } = new();

    public ConcurrentQueue<ExpiredSession> Ended { get; } = new();

    public ConcurrentDictionary<SessionId, int> EndedCountById { get; } = new();

    public void OnSessionStarted(SessionInfo session) => Started.Enqueue(session);

    public void OnSessionEnded(ExpiredSession session)
    {
        Ended.Enqueue(session);
        EndedCountById.AddOrUpdate(session.Id, 1, (_, count) => count + 1);
    }
}

/// <summary>A user-defined reason, as the README suggests.</summary>
public sealed class RevokedReason() : ExpiryReason("revoked", "An administrator revoked the session.");

/// <summary>Waits, bounded, for background work to show its effect. Never used to make time pass.</summary>
public static class Eventually
{
    public static async Task<bool> TrueAsync(Func<Task<bool>> condition, TimeSpan? within = null)
    {
        using var deadline = new CancellationTokenSource(within ?? TimeSpan.FromSeconds(10));
        while (!await condition())
        {
            if (deadline.IsCancellationRequested)
            {
                return false;
            }

            await Task.Delay(10, CancellationToken.None);
        }

        return true;
    }
}
