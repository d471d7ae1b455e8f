using Microsoft.Extensions.Logging;

namespace Limps.Sessions;

/// <summary>
/// Wraps a logger so that a failing provider cannot break a state change halfway: the registry logs in the middle of
/// creating and ending sessions, and a session must never end up half-ended, or its observers untold, because a log
/// sink threw. A write that throws is dropped; there is nowhere left to report it.
/// </summary>
internal sealed class NonThrowingLogger(ILogger inner) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull
    {
        try
        {
            return inner.BeginScope(state);
        }
#pragma warning disable CA1031 // Logging must not break the operation it describes.
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }

    public bool IsEnabled(LogLevel logLevel)
    {
        try
        {
            return inner.IsEnabled(logLevel);
        }
#pragma warning disable CA1031 // Logging must not break the operation it describes.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try
        {
            inner.Log(logLevel, eventId, state, exception, formatter);
        }
#pragma warning disable CA1031 // Logging must not break the operation it describes.
        catch (Exception)
#pragma warning restore CA1031
        {
            // Dropped: the failing sink is the only place it could have been reported.
        }
    }
}
