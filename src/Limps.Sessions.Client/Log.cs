using Microsoft.Extensions.Logging;

namespace Limps.Sessions.Client;

/// <summary>
/// Source-generated log messages of the client handler. The public methods take full ids and mask them (at most the
/// first 8 characters and <c>...</c>) only when the message is enabled; a full id is never logged.
/// </summary>
internal static partial class Log
{
#pragma warning disable CA1873 // Each wrapper masks only inside its own logger.IsEnabled check, at the message's level.
    public static void SessionTracked(ILogger logger, string sessionId)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            SessionTrackedCore(logger, SessionIdMask.Mask(sessionId));
        }
    }

    public static void SessionLost(ILogger logger, string sessionId, HttpMethod method, SessionLoss loss)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            SessionLostCore(logger, SessionIdMask.Mask(sessionId), method.Method, loss.Reason, loss.ExpiryReason);
        }
    }

    public static void SessionReplaced(ILogger logger, string previousId, string newId, string callerId, SessionLossReason reason)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            SessionReplacedCore(logger, SessionIdMask.Mask(previousId), SessionIdMask.Mask(newId), SessionIdMask.Mask(callerId), reason);
        }
    }

    public static void ReinitializeFailed(ILogger logger, string sessionId, Exception exception)
    {
        if (logger.IsEnabled(LogLevel.Warning))
        {
            ReinitializeFailedCore(logger, SessionIdMask.Mask(sessionId), exception.GetType().Name, exception);
        }
    }

    public static void ReinitializeRejected(ILogger logger, string sessionId, string step, int status)
    {
        if (logger.IsEnabled(LogLevel.Warning))
        {
            ReinitializeRejectedCore(logger, SessionIdMask.Mask(sessionId), step, status);
        }
    }

    public static void ReinitializeUnusable(ILogger logger, string sessionId, string problem)
    {
        if (logger.IsEnabled(LogLevel.Warning))
        {
            ReinitializeUnusableCore(logger, SessionIdMask.Mask(sessionId), problem);
        }
    }

    public static void ProtocolVersionChanged(ILogger logger, string sessionId, string version, string expected)
    {
        if (logger.IsEnabled(LogLevel.Warning))
        {
            ProtocolVersionChangedCore(logger, SessionIdMask.Mask(sessionId), version, expected);
        }
    }

    public static void RecoveryGivenUp(ILogger logger, string sessionId, int failedInARow)
    {
        if (logger.IsEnabled(LogLevel.Warning))
        {
            RecoveryGivenUpCore(logger, SessionIdMask.Mask(sessionId), failedInARow);
        }
    }

    public static void RetryFailed(ILogger logger, string sessionId)
    {
        if (logger.IsEnabled(LogLevel.Warning))
        {
            RetryFailedCore(logger, SessionIdMask.Mask(sessionId));
        }
    }

    public static void RecoveryBackoff(ILogger logger, string sessionId, TimeSpan delay, int failedInARow)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            RecoveryBackoffCore(logger, SessionIdMask.Mask(sessionId), delay, failedInARow);
        }
    }

    public static void PlainNotFoundReturned(ILogger logger, string sessionId)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            PlainNotFoundReturnedCore(logger, SessionIdMask.Mask(sessionId));
        }
    }

    public static void SessionReplacedHandlerFailed(ILogger logger, string maskedSessionId, Exception exception) =>
        SessionReplacedHandlerFailedCore(logger, maskedSessionId, exception);

    public static void SessionForgotten(ILogger logger, string sessionId, string cause)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            SessionForgottenCore(logger, SessionIdMask.Mask(sessionId), cause);
        }
    }

#pragma warning restore CA1873

    [LoggerMessage(EventId = 1, EventName = "SessionTracked", Level = LogLevel.Debug,
        Message = "Session {SessionId} started; its initialize is kept for recovery.")]
    private static partial void SessionTrackedCore(ILogger logger, string sessionId);

    [LoggerMessage(EventId = 2, EventName = "SessionLost", Level = LogLevel.Information,
        Message = "Session {SessionId} answered 404 to {Method} ({Reason}, expiry reason {ExpiryReason}).")]
    private static partial void SessionLostCore(ILogger logger, string sessionId, string method, SessionLossReason reason, string? expiryReason);

    [LoggerMessage(EventId = 3, EventName = "SessionReplaced", Level = LogLevel.Information,
        Message = "Session {PreviousSessionId} replaced by {NewSessionId} (caller's id {CallerSessionId}, {Reason}); the request is retried once.")]
    private static partial void SessionReplacedCore(
        ILogger logger, string previousSessionId, string newSessionId, string callerSessionId, SessionLossReason reason);

    [LoggerMessage(EventId = 4, EventName = "ReinitializeFailed", Level = LogLevel.Warning,
        Message = "Re-initializing after session {SessionId} was lost failed ({ExceptionType}); the 404 is returned.")]
    private static partial void ReinitializeFailedCore(ILogger logger, string sessionId, string exceptionType, Exception exception);

    [LoggerMessage(EventId = 5, EventName = "ReinitializeRejected", Level = LogLevel.Warning,
        Message = "Re-initializing after session {SessionId} was lost failed: {Step} was answered {StatusCode}; the 404 is returned.")]
    private static partial void ReinitializeRejectedCore(ILogger logger, string sessionId, string step, int statusCode);

    [LoggerMessage(EventId = 6, EventName = "ReinitializeUnusable", Level = LogLevel.Warning,
        Message = "Re-initializing after session {SessionId} was lost failed: {Problem}; the 404 is returned.")]
    private static partial void ReinitializeUnusableCore(ILogger logger, string sessionId, string problem);

    [LoggerMessage(EventId = 7, EventName = "ProtocolVersionChanged", Level = LogLevel.Warning,
        Message = "Re-initializing after session {SessionId} was lost failed: the new session negotiated protocol version {Version}, the caller uses {Expected}; the 404 is returned.")]
    private static partial void ProtocolVersionChangedCore(ILogger logger, string sessionId, string version, string expected);

    [LoggerMessage(EventId = 8, EventName = "RecoveryGivenUp", Level = LogLevel.Warning,
        Message = "Session {SessionId} failed {FailedInARow} recoveries in a row; no more re-initializing, the 404 is returned.")]
    private static partial void RecoveryGivenUpCore(ILogger logger, string sessionId, int failedInARow);

    [LoggerMessage(EventId = 9, EventName = "RetryFailed", Level = LogLevel.Warning,
        Message = "The retry on the new session {SessionId} was answered 404 too; the original 404 is returned.")]
    private static partial void RetryFailedCore(ILogger logger, string sessionId);

    [LoggerMessage(EventId = 10, EventName = "RecoveryBackoff", Level = LogLevel.Information,
        Message = "Session {SessionId}: waiting {Delay} before re-initializing ({FailedInARow} recoveries in a row did not help).")]
    private static partial void RecoveryBackoffCore(ILogger logger, string sessionId, TimeSpan delay, int failedInARow);

    [LoggerMessage(EventId = 11, EventName = "PlainNotFoundReturned", Level = LogLevel.Debug,
        Message = "Session {SessionId} answered a plain 404; recovery from plain 404s is off, so it is returned.")]
    private static partial void PlainNotFoundReturnedCore(ILogger logger, string sessionId);

    [LoggerMessage(EventId = 12, EventName = "SessionReplacedHandlerFailed", Level = LogLevel.Error,
        Message = "A SessionReplaced handler threw for session {SessionId}; recovery goes on.")]
    private static partial void SessionReplacedHandlerFailedCore(ILogger logger, string sessionId, Exception exception);

    [LoggerMessage(EventId = 13, EventName = "SessionForgotten", Level = LogLevel.Debug,
        Message = "Session {SessionId} is no longer tracked: {Cause}.")]
    private static partial void SessionForgottenCore(ILogger logger, string sessionId, string cause);
}
