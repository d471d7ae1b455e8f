using System.Collections.Concurrent;

namespace Limps.Sessions.Client;

/// <summary>
/// The sessions a recovery handler tracks, kept apart from the handler so that handlers which replace each other
/// (as <c>IHttpClientFactory</c> rotates them) keep recovering the sessions their predecessors saw start.
/// </summary>
internal sealed class SessionTable
{
    private long _sequence;

    /// <summary>Gets the tracked sessions by the id their caller knows.</summary>
    public ConcurrentDictionary<string, TrackedSession> Sessions { get; } = new(StringComparer.Ordinal);

    /// <summary>Returns the next tracking order number (the oldest session is forgotten first).</summary>
    public long NextSequence() => Interlocked.Increment(ref _sequence);
}
