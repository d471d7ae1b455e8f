using Limps.Sessions.AspNetCore;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>The Limps session check as middleware, for hosts that do not use endpoint routing.</summary>
public static class LimpsSessionsApplicationBuilderExtensions
{
    /// <summary>
    /// Checks every request under <paramref name="path"/> as <c>WithLimpsSessions()</c> does on an endpoint; a server
    /// integration (for example Limps.Sessions.Mcp) releases ended sessions by sending DELETE for them down the rest of
    /// the pipeline.
    /// Requires <c>services.AddLimpsSessions()</c>.
    /// </summary>
    /// <param name="app">The application.</param>
    /// <param name="path">The path of the MCP endpoint, for example <c>/mcp</c>.</param>
    /// <returns>The same application builder.</returns>
    public static IApplicationBuilder UseLimpsSessions(this IApplicationBuilder app, PathString path)
    {
        ArgumentNullException.ThrowIfNull(app);
        SessionGate gate = app.ApplicationServices.GetService<SessionGate>() ?? throw new InvalidOperationException(
            "UseLimpsSessions() needs the Limps.Sessions services: call services.AddLimpsSessions() first.");
        ISessionServerReleaser[] releasers = [.. app.ApplicationServices.GetServices<ISessionServerReleaser>()];
        return app.Use(next =>
        {
            foreach (ISessionServerReleaser releaser in releasers)
            {
                releaser.AddEndpoint(path.Value ?? "/", next);
            }

            return context => context.Request.Path.StartsWithSegments(path)
                ? gate.InvokeAsync(context, next)
                : next(context);
        });
    }
}
