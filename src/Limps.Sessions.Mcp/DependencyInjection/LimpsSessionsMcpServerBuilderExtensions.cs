using Limps.Sessions;
using Limps.Sessions.AspNetCore;
using Limps.Sessions.Mcp;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Puts Limps.Sessions under an MCP C# SDK server.</summary>
public static class LimpsSessionsMcpServerBuilderExtensions
{
    /// <summary>
    /// Adds Limps.Sessions (<c>services.AddLimpsSessions()</c>, if not added yet) and sets the MCP server's HTTP
    /// transport the way Limps needs it: sessions for clients that send <c>initialize</c>
    /// (<see cref="HttpServerSessionMode.StatefulForInitializeClients"/>, unless the host chose
    /// <see cref="HttpServerSessionMode.Stateful"/>), no idle timeout of the SDK's own, and an idle-session cap at
    /// least <see cref="LimpsSessionsOptions.MaxSessions"/>. When Limps ends a session, the SDK's state of it is
    /// released; a process that shares the session registry (for example on Redis) can take a session over. Put the
    /// check on the endpoint with <c>app.MapMcp("/mcp").WithLimpsSessions()</c>. Calling it again adds nothing.
    /// </summary>
    /// <param name="builder">The MCP server builder, after <c>WithHttpTransport()</c>.</param>
    /// <returns>The same builder.</returns>
    /// <example>
    /// <code>
    /// builder.Services.AddMcpServer().WithHttpTransport().WithLimpsSessions().WithTools&lt;MyTools&gt;();
    /// app.MapMcp("/mcp").WithLimpsSessions();
    /// </code>
    /// </example>
    public static IMcpServerBuilder WithLimpsSessions(this IMcpServerBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        IServiceCollection services = builder.Services;
        services.AddLimpsSessions();
        if (services.Any(d => d.ServiceType == typeof(McpMarker)))
        {
            return builder;
        }

        services.AddSingleton<McpMarker>();
        services.AddSingleton<IPostConfigureOptions<HttpServerTransportOptions>, ConfigureMcpTransport>();
        services.AddSingleton<McpEndpointTracker>();
        services.AddSingleton<McpSessionReleaser>();
        services.AddSingleton<ISessionServerReleaser>(sp => sp.GetRequiredService<McpSessionReleaser>());
        services.AddSingleton<ISessionLifecycleObserver>(sp => sp.GetRequiredService<McpSessionReleaser>());
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<McpSessionReleaser>());
        services.AddHostedService<McpStartupCheck>();
        services.TryAddSingleton<ISessionMigrationHandler, McpSessionMigrationHandler>();
        return builder.WithLimpsHandleErrors();
    }

    private sealed class McpMarker;
}
