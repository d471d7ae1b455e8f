using Microsoft.Extensions.Logging;

namespace Limps.Sessions.SampleClient;

/// <summary>A minimal logger that prints the recovery handler's messages (ids are already masked by the handler).</summary>
internal sealed class ConsoleLogger(LogLevel minimum) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (IsEnabled(logLevel))
        {
            Console.WriteLine($"  [handler {logLevel}] {formatter(state, exception)}");
        }
    }
}
