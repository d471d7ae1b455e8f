using Microsoft.Extensions.Logging;

namespace Limps.Sessions.AspNetCore;

/// <summary>Source-generated log messages of the handle sweeper. No handle is ever logged here.</summary>
internal static partial class HandleHostLog
{
    [LoggerMessage(EventId = 420, EventName = "HandleSweepFailed", Level = LogLevel.Error,
        Message = "The sweep of {Kind} handles failed; the next one runs on schedule.")]
    public static partial void HandleSweepFailed(ILogger logger, string kind, Exception exception);

    [LoggerMessage(EventId = 421, EventName = "HandlesSwept", Level = LogLevel.Debug,
        Message = "The sweep of {Kind} handles ended {Count} of them.")]
    public static partial void HandlesSwept(ILogger logger, string kind, int count);
}
