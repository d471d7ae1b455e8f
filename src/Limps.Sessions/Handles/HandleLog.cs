using Microsoft.Extensions.Logging;

namespace Limps.Sessions;

/// <summary>Source-generated log messages of handle stores. Handles are always masked.</summary>
internal static partial class HandleLog
{
    [LoggerMessage(EventId = 40, EventName = "HandleOwnerMismatch", Level = LogLevel.Warning,
        Message = "A {Kind} handle {Handle} was used by a caller other than its owner; it was answered as unknown and not touched.")]
    public static partial void HandleOwnerMismatch(ILogger logger, string kind, string handle);

    [LoggerMessage(EventId = 41, EventName = "HandleCapacityReached", Level = LogLevel.Warning,
        Message = "The {Kind} handle capacity of {Limit} (per owner: {PerOwner}) is reached; a new handle was refused.")]
    public static partial void HandleCapacityReached(ILogger logger, string kind, int limit, bool perOwner);
}
