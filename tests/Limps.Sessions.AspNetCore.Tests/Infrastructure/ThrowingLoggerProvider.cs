using Microsoft.Extensions.Logging;

namespace Limps.Sessions.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A logger provider whose loggers throw for every record of the categories it is given (prefix match), like a sink
/// that fails; Microsoft.Extensions.Logging then throws an AggregateException from the log call.
/// </summary>
public sealed class ThrowingLoggerProvider(string categoryPrefix, params string[] exceptPrefixes) : ILoggerProvider
{
    private int _throws;

    public int Throws => Volatile.Read(ref _throws);

    public ILogger CreateLogger(string categoryName) =>
        categoryName.StartsWith(categoryPrefix, StringComparison.Ordinal)
        && !exceptPrefixes.Any(p => categoryName.StartsWith(p, StringComparison.Ordinal))
            ? new Throwing(this)
            : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public void Dispose()
    {
    }

    private sealed class Throwing(ThrowingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            Interlocked.Increment(ref owner._throws);
            throw new IOException($"The log sink failed while writing {eventId.Name}.");
        }
    }
}
