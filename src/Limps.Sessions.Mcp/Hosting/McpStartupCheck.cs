using Limps.Sessions.AspNetCore;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore;

namespace Limps.Sessions.Mcp;

/// <summary>
/// Once the host has started (endpoints are mapped by then), warns about set-ups that look right but are not:
/// an MCP endpoint without the Limps check while <c>WithLimpsSessions()</c> turned the SDK's own idle timeout off (its
/// sessions would never end: worse than no Limps), and a session mode switched back to Stateless after Limps set it
/// (the check would see no session at all).
/// </summary>
internal sealed class McpStartupCheck(
    IServiceProvider services,
    IOptions<HttpServerTransportOptions> transport,
    ILogger<McpStartupCheck> logger,
    IHostApplicationLifetime? lifetime = null) : IHostedService
{
    // The MCP C# SDK names the endpoints MapMcp creates so.
    private const string McpEndpointDisplayName = "MCP Streamable HTTP";

    private readonly ILogger _log = SessionTelemetry.NonThrowing(logger);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime?.ApplicationStarted.Register(static state => ((McpStartupCheck)state!).Check(), this);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Check()
    {
        try
        {
            var unguarded = new SortedSet<string>(StringComparer.Ordinal);
            bool guarded = false;
            foreach (Endpoint endpoint in services.GetService<EndpointDataSource>()?.Endpoints ?? [])
            {
                if (endpoint.DisplayName?.StartsWith(McpEndpointDisplayName, StringComparison.Ordinal) != true)
                {
                    continue;
                }

                if (endpoint.Metadata.GetMetadata<LimpsSessionsEndpointMetadata>() is not null)
                {
                    guarded = true;
                }
                else
                {
                    string path = (endpoint as RouteEndpoint)?.RoutePattern.RawText ?? endpoint.DisplayName;
                    unguarded.Add(path.Length > 1 ? path.TrimEnd('/') : path);
                }
            }

#pragma warning disable MCP9006 // Obsolete in the SDK, yet still what decides when it drops idle sessions.
            bool sdkNeverIdlesOut = transport.Value.IdleTimeout == Timeout.InfiniteTimeSpan;
#pragma warning restore MCP9006
            foreach (string path in unguarded)
            {
                if (sdkNeverIdlesOut)
                {
                    McpLog.EndpointWithoutCheck(_log, path);
                }
            }

            if (guarded && transport.Value.SessionMode == HttpServerSessionMode.Stateless)
            {
                McpLog.StatelessUnderCheck(_log);
            }
        }
#pragma warning disable CA1031 // A check that could not run must not stop the host it checks.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            McpLog.StartupCheckFailed(_log, ex);
        }
    }
}
