namespace Limps.Sessions;

/// <summary>The codes of <see cref="HandleUnavailableException.Code"/>, as the structured tool result carries them (design §8).</summary>
public static class HandleErrorCodes
{
    /// <summary>The handle existed and ended; the answer names the reason and the instant.</summary>
    public const string Expired = "HANDLE_EXPIRED";

    /// <summary>The handle is well formed but not known to this caller (never created, forgotten, or another user's).</summary>
    public const string NotFound = "HANDLE_NOT_FOUND";

    /// <summary>The text is not a handle of this kind (malformed, overlong, wrongly prefixed, or another kind's).</summary>
    public const string Invalid = "HANDLE_INVALID";
}
