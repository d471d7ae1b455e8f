namespace Limps.Sessions.AspNetCore;

/// <summary>The HTTP header names Limps reads and writes.</summary>
public static class SessionHeaders
{
    /// <summary>The MCP session id header, sent by clients and returned by the server on <c>initialize</c>.</summary>
    public const string SessionId = "Mcp-Session-Id";

    /// <summary>The MCP protocol version header.</summary>
    public const string ProtocolVersion = "MCP-Protocol-Version";

    /// <summary>Set to <c>true</c> on a 404 for a session that expired (as opposed to one never known).</summary>
    public const string Expired = "X-Session-Expired";

    /// <summary>The reason code of an expired session, for example <c>timeout</c>.</summary>
    public const string ExpiredReason = "X-Session-Expired-Reason";

    /// <summary>The headers a browser client must be allowed to read (for CORS <c>Access-Control-Expose-Headers</c>).</summary>
    public static IReadOnlyList<string> Exposed { get; } = [SessionId, Expired, ExpiredReason];
}
