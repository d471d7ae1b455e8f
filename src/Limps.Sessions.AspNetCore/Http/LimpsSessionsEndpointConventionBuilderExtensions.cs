using Limps.Sessions.AspNetCore;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Puts the Limps session check on endpoints.</summary>
public static class LimpsSessionsEndpointConventionBuilderExtensions
{
    /// <summary>
    /// Checks every request to these endpoints (for example the group returned by <c>MapMcp</c>) before the MCP
    /// server sees it: malformed ids get 400, expired ids 404 SESSION_EXPIRED, unknown ids 404 SESSION_NOT_FOUND,
    /// live ids a request lease for the whole request; the id the server issues on <c>initialize</c> is registered.
    /// Requires <c>services.AddLimpsSessions()</c>; without it, a route group (what <c>MapMcp</c> returns) throws
    /// <see cref="InvalidOperationException"/> here, at start-up.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint convention builder type.</typeparam>
    /// <param name="builder">The endpoints.</param>
    /// <returns>The same builder.</returns>
    /// <example>
    /// <code>app.MapMcp("/mcp").WithLimpsSessions();</code>
    /// </example>
    public static TBuilder WithLimpsSessions<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);

        // Fail where the mistake is made, at start-up, rather than with a 500 on every request: a route group (what
        // MapMcp returns) knows its services already.
        // Only asks whether the services are registered: building them here would read (and validate) the options
        // before the host starts, and their errors belong to start-up.
        if (builder is IEndpointRouteBuilder routes
            && routes.ServiceProvider.GetService<IServiceProviderIsService>() is { } registered
            && !registered.IsService(typeof(SessionGate)))
        {
            throw MissingServices();
        }

        builder.Add(endpoint =>
        {
            endpoint.Metadata.Add(LimpsSessionsEndpointMetadata.Instance);
            RequestDelegate? inner = endpoint.RequestDelegate;
            if (inner is null)
            {
                return;
            }

            IServiceProvider services = endpoint.ApplicationServices;
            SessionGate gate = services.GetService<SessionGate>() ?? throw MissingServices();

            // A server integration (for example Limps.Sessions.Mcp) frees its own state of an ended session through
            // the endpoint's DELETE handler.
            if (endpoint.Metadata.OfType<HttpMethodMetadata>().Any(m => m.HttpMethods.Contains(HttpMethods.Delete)))
            {
                string path = (endpoint as RouteEndpointBuilder)?.RoutePattern.RawText ?? endpoint.DisplayName ?? "/";
                foreach (ISessionServerReleaser releaser in services.GetServices<ISessionServerReleaser>())
                {
                    releaser.AddEndpoint(path, inner);
                }
            }

            endpoint.RequestDelegate = context => gate.InvokeAsync(context, inner);
        });
        return builder;
    }

    private static InvalidOperationException MissingServices() => new(
        "WithLimpsSessions() needs the Limps.Sessions services: call services.AddLimpsSessions() (or "
        + "AddMcpServer().WithHttpTransport().WithLimpsSessions() from Limps.Sessions.Mcp) before the app is built.");
}
