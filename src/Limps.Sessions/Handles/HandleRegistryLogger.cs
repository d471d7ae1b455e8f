using Microsoft.Extensions.Logging;

namespace Limps.Sessions;

/// <summary>
/// The logger a handle kind's registry writes to, under the category <c>Limps.Sessions.Handles</c> so hosts can filter
/// handle lines apart from session lines. It drops the registry's per-sweep "SweepCompleted" line: the host's handle
/// sweeper logs each kind's sweep itself (naming the kind), and a second, kind-less line per tick would be taken for a
/// sweep of the sessions.
/// </summary>
internal sealed class HandleRegistryLogger(ILogger inner) : ILogger<InMemorySessionRegistry>
{
    public const string Category = "Limps.Sessions.Handles";

    private const string SweepCompleted = "SweepCompleted";

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (string.Equals(eventId.Name, SweepCompleted, StringComparison.Ordinal))
        {
            return;
        }

        inner.Log(logLevel, eventId, state, exception, formatter);
    }
}
