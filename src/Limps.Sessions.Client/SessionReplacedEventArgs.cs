namespace Limps.Sessions.Client;

/// <summary>
/// Describes a session the <see cref="SessionRecoveryHandler"/> replaced: the server stopped accepting one id, the
/// handler started a new session and now sends the new id in place of the one the caller knows. Ids are masked (at
/// most their first 8 characters and <c>...</c>), never full: they are bearer secrets.
/// </summary>
public sealed class SessionReplacedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    /// <param name="callerSessionId">The masked id the caller knows and keeps sending.</param>
    /// <param name="previousSessionId">The masked id the server stopped accepting.</param>
    /// <param name="newSessionId">The masked id of the new session.</param>
    /// <param name="reason">How the server answered the request that carried <paramref name="previousSessionId"/>.</param>
    /// <param name="expiryReason">The server's expiry reason code, when it gave one.</param>
    /// <param name="replacements">How many times this caller's session has been replaced so far, this time included.</param>
    public SessionReplacedEventArgs(
        string callerSessionId,
        string previousSessionId,
        string newSessionId,
        SessionLossReason reason,
        string? expiryReason,
        int replacements)
    {
        CallerSessionId = callerSessionId;
        PreviousSessionId = previousSessionId;
        NewSessionId = newSessionId;
        Reason = reason;
        ExpiryReason = expiryReason;
        Replacements = replacements;
    }

    /// <summary>
    /// Gets the masked id the caller got from its <c>initialize</c> and keeps sending (for the MCP C# SDK, the masked
    /// <c>McpClient.SessionId</c>). It does not change when the session is replaced.
    /// </summary>
    public string CallerSessionId { get; }

    /// <summary>Gets the masked id the server stopped accepting (the caller's own id the first time).</summary>
    public string PreviousSessionId { get; }

    /// <summary>Gets the masked id of the new session, sent from now on in place of the caller's id.</summary>
    public string NewSessionId { get; }

    /// <summary>Gets how the server answered the request that carried <see cref="PreviousSessionId"/>.</summary>
    public SessionLossReason Reason { get; }

    /// <summary>
    /// Gets the server's expiry reason code (the <c>X-Session-Expired-Reason</c> header or the <c>reason</c> of a
    /// <c>SESSION_EXPIRED</c> body, for example <c>timeout</c>, <c>deleted</c>, <c>closed</c>), or
    /// <see langword="null"/> when the server gave none.
    /// </summary>
    public string? ExpiryReason { get; }

    /// <summary>Gets how many times this caller's session has been replaced so far, this time included.</summary>
    public int Replacements { get; }
}
