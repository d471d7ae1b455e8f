namespace Limps.Sessions.Client;

/// <summary>Why a server stopped accepting a session id: how it answered the request that carried the id.</summary>
public enum SessionLossReason
{
    /// <summary>
    /// A Limps server answered <c>404</c> <c>SESSION_EXPIRED</c> (or <c>X-Session-Expired: true</c>): the session
    /// ended, for the reason in <see cref="SessionReplacedEventArgs.ExpiryReason"/> (for example <c>timeout</c>,
    /// <c>deleted</c> or <c>closed</c>). The request did not run.
    /// </summary>
    Expired = 0,

    /// <summary>
    /// A Limps server answered <c>404</c> <c>SESSION_NOT_FOUND</c>: it never knew the id, or forgot it (a restart, or
    /// past its retention). The request did not run.
    /// </summary>
    NotFound = 1,

    /// <summary>
    /// A <c>404</c> without a Limps answer code, as any MCP server sends for a session it no longer has (the MCP
    /// specification tells clients to start a new session on it). Whether the request ran is not stated by the server.
    /// </summary>
    PlainNotFound = 2,
}
