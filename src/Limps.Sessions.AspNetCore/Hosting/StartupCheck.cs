using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Limps.Sessions.AspNetCore;

/// <summary>
/// Once the host has started (endpoints are mapped by then), warns about a set-up in which the session check would do
/// nothing: it guards an MCP endpoint, yet no server integration is registered, so the MCP SDK keeps its default
/// session mode (Stateless), issues no session id, and every request passes the check unseen.
/// </summary>
internal sealed class StartupCheck(
    IServiceProvider services,
    ILogger<StartupCheck> logger,
    IHostApplicationLifetime? lifetime = null) : IHostedService
{
    // The MCP C# SDK names the endpoints MapMcp creates so.
    internal const string McpEndpointDisplayName = "MCP Streamable HTTP";

    private readonly ILogger _log = SessionTelemetry.NonThrowing(logger);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime?.ApplicationStarted.Register(static state => ((StartupCheck)state!).Check(), this);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Check()
    {
        try
        {
            if (services.GetService<ISessionServerReleaser>() is not null)
            {
                return;
            }

            foreach (Endpoint endpoint in services.GetService<EndpointDataSource>()?.Endpoints ?? [])
            {
                if (endpoint.Metadata.GetMetadata<LimpsSessionsEndpointMetadata>() is not null
                    && endpoint.DisplayName?.StartsWith(McpEndpointDisplayName, StringComparison.Ordinal) == true)
                {
                    string path = (endpoint as RouteEndpoint)?.RoutePattern.RawText ?? endpoint.DisplayName;
                    HttpLog.McpServerWithoutIntegration(_log, path.Length > 1 ? path.TrimEnd('/') : path);
                    return;
                }
            }
        }
#pragma warning disable CA1031 // A check that could not run must not stop the host it checks.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            HttpLog.StartupCheckFailed(_log, ex);
        }
    }
}
