using NodaTime;

namespace Limps.Sessions;

/// <summary>
/// Thrown when a tool is given a handle that cannot be used: it ended (<see cref="HandleErrorCodes.Expired"/>, with the
/// reason and the instant), it is not known to the caller (<see cref="HandleErrorCodes.NotFound"/>; another user's
/// handle is answered exactly so), or it is not a handle of the kind at all (<see cref="HandleErrorCodes.Invalid"/>).
/// MCP hosts turn it into a tool result with <c>isError: true</c>: <see cref="ToolResultText"/> for the model and
/// <see cref="StructuredContent"/> for programs, both ready to copy (design §8).
/// </summary>
/// <remarks>
/// <see cref="Exception.Message"/> never carries the full handle (it is masked like <see cref="SessionId.Masked"/>);
/// only the tool result echoes the handle the caller sent, cut to 128 characters.
/// </remarks>
public sealed class HandleUnavailableException : Exception
{
    /// <summary>Creates the exception with a default message and code <see cref="HandleErrorCodes.NotFound"/>.</summary>
    public HandleUnavailableException()
        : this("The handle is not known.")
    {
    }

    /// <summary>Creates the exception with a message and code <see cref="HandleErrorCodes.NotFound"/>.</summary>
    /// <param name="message">The message.</param>
    public HandleUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message, an inner exception and code <see cref="HandleErrorCodes.NotFound"/>.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public HandleUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    private HandleUnavailableException(
        string code, string kind, string? handle, ExpiryReason? reason, Instant? expiredAt, string? createToolName)
        : base(HandleText.Message(code, kind, HandleText.Mask(handle), reason, expiredAt, createToolName))
    {
        Code = code;
        Kind = kind;
        Handle = HandleText.Echo(handle);
        Reason = reason;
        ExpiredAt = expiredAt;
        CreateToolName = createToolName;
    }

    /// <summary>Gets the code: one of <see cref="HandleErrorCodes"/>.</summary>
    public string Code { get; } = HandleErrorCodes.NotFound;

    /// <summary>Gets the kind's name, for example <c>basket</c>.</summary>
    public string Kind { get; } = string.Empty;

    /// <summary>Gets the handle as the caller sent it (cut to 128 characters). Do not log it.</summary>
    public string Handle { get; } = string.Empty;

    /// <summary>Gets why the handle ended, when <see cref="Code"/> is <see cref="HandleErrorCodes.Expired"/>.</summary>
    public ExpiryReason? Reason { get; }

    /// <summary>
    /// Gets when the handle stopped being usable, when <see cref="Code"/> is <see cref="HandleErrorCodes.Expired"/>: for a
    /// timeout its last activity plus the idle timeout, otherwise the instant it was ended.
    /// </summary>
    public Instant? ExpiredAt { get; }

    /// <summary>Gets the name of the tool that creates a handle of this kind, when the kind names one.</summary>
    public string? CreateToolName { get; }

    /// <summary>
    /// Gets the text for the model, for example
    /// <c>basket bsk_a1b2c3 has expired (reason: timeout, at 2026-11-30T10:30:00.000Z). Call create_basket to start a new one.</c>
    /// </summary>
    public string ToolResultText => HandleText.Message(Code, Kind, Handle, Reason, ExpiredAt, CreateToolName);

    /// <summary>
    /// Gets the structured content as compact JSON, for example
    /// <c>{"code":"HANDLE_EXPIRED","kind":"basket","handle":"bsk_a1b2c3","reason":"timeout","expiredAt":"2026-11-30T10:30:00.000Z"}</c>.
    /// </summary>
    public string StructuredContent => HandleText.StructuredJson(Code, Kind, Handle, Reason, ExpiredAt);

    /// <summary>Creates the answer for a handle that ended.</summary>
    /// <param name="kind">The kind's name.</param>
    /// <param name="handle">The handle as the caller sent it.</param>
    /// <param name="reason">Why it ended.</param>
    /// <param name="expiredAt">When it stopped being usable.</param>
    /// <param name="createToolName">The tool that creates a new one, if any.</param>
    /// <returns>The exception, with code <see cref="HandleErrorCodes.Expired"/>.</returns>
    public static HandleUnavailableException Expired(
        string kind, string handle, ExpiryReason reason, Instant expiredAt, string? createToolName = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(handle);
        ArgumentNullException.ThrowIfNull(reason);
        return new HandleUnavailableException(HandleErrorCodes.Expired, kind, handle, reason, expiredAt, createToolName);
    }

    /// <summary>Creates the answer for a well-formed handle the caller has no live or remembered handle for.</summary>
    /// <param name="kind">The kind's name.</param>
    /// <param name="handle">The handle as the caller sent it.</param>
    /// <param name="createToolName">The tool that creates a new one, if any.</param>
    /// <returns>The exception, with code <see cref="HandleErrorCodes.NotFound"/>.</returns>
    public static HandleUnavailableException NotFound(string kind, string? handle, string? createToolName = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        return new HandleUnavailableException(HandleErrorCodes.NotFound, kind, handle, null, null, createToolName);
    }

    /// <summary>Creates the answer for text that is not a handle of the kind.</summary>
    /// <param name="kind">The kind's name.</param>
    /// <param name="handle">The text as the caller sent it (may be null).</param>
    /// <param name="createToolName">The tool that creates a new one, if any.</param>
    /// <returns>The exception, with code <see cref="HandleErrorCodes.Invalid"/>.</returns>
    public static HandleUnavailableException Invalid(string kind, string? handle, string? createToolName = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        return new HandleUnavailableException(HandleErrorCodes.Invalid, kind, handle, null, null, createToolName);
    }
}
