using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore;

namespace Limps.Sessions.Mcp;

/// <summary>
/// Sets the MCP SDK's HTTP transport the way Limps needs it, after the host's own settings: sessions for clients that
/// <c>initialize</c> (the dual-era mode, unless the host chose <see cref="HttpServerSessionMode.Stateful"/>), and no
/// idle timeout or idle-session cap of the SDK's own that could drop a session before Limps ends it. Limps tells the
/// SDK when a session ends.
/// </summary>
internal sealed class ConfigureMcpTransport(IOptions<LimpsSessionsOptions> limps) : IPostConfigureOptions<HttpServerTransportOptions>
{
    public void PostConfigure(string? name, HttpServerTransportOptions options)
    {
        if (options.SessionMode != HttpServerSessionMode.Stateful)
        {
            // Stateless (the SDK's default) would leave Limps nothing to check; the dual-era mode gives initialize
            // clients a session and serves 2026-07-28 clients per request.
            options.SessionMode = HttpServerSessionMode.StatefulForInitializeClients;
        }

#pragma warning disable MCP9006 // Obsolete in the SDK, yet still what decides when it drops idle sessions.
        options.IdleTimeout = Timeout.InfiniteTimeSpan;
        options.MaxIdleSessionCount = Math.Max(options.MaxIdleSessionCount, limps.Value.MaxSessions);
#pragma warning restore MCP9006
    }
}
