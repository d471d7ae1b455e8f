namespace Limps.Sessions.AspNetCore;

/// <summary>
/// Present on a request without a session id that passes the session check: if the server's answer issues a session
/// id (an MCP <c>initialize</c>), the session is registered with this metadata (<see cref="SessionInfo.Metadata"/>).
/// Code that runs inside the request before the answer starts can add to it, for example the MCP integration keeps
/// the <c>initialize</c> parameters there so that another process sharing the registry can take the session over.
/// </summary>
/// <example>
/// <code>context.Features.Get&lt;ISessionCreationFeature&gt;()?.Metadata["tenant"] = tenantId;</code>
/// </example>
public interface ISessionCreationFeature
{
    /// <summary>
    /// Gets the metadata the new session is created with. Entries added once the answer has started are not kept:
    /// the session is registered as the answer starts.
    /// </summary>
    IDictionary<string, string> Metadata { get; }
}
