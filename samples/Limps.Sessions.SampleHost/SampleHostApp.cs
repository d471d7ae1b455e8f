using Limps.Sessions;
using Limps.Sessions.SampleHost.Tools;
using ModelContextProtocol.AspNetCore;

namespace Limps.Sessions.SampleHost;

/// <summary>Builds the sample MCP host: a stateful MCP server on ModelContextProtocol.AspNetCore with Limps.Sessions.</summary>
public static class SampleHostApp
{
    /// <summary>The address the host listens on when neither <c>--urls</c> nor <c>ASPNETCORE_URLS</c> says otherwise.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>The configuration key that switches the Limps check on the MCP endpoint off when <c>false</c>.</summary>
    public const string SessionCheckKey = "Sample:SessionCheck";

    /// <summary>Builds the host.</summary>
    /// <param name="args">Command-line arguments (for example <c>--urls</c> or <c>--Limps:Sessions:IdleTimeout=00:00:05</c>).</param>
    /// <param name="configure">Changes to the builder before the app is built (tests use it to swap the clock or the server).</param>
    /// <returns>The application, ready to run.</returns>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        // 1. Limps: options from the "Limps:Sessions" section (appsettings.json, Limps__Sessions__* variables).
        builder.Services.AddLimpsSessions();
        builder.Services.AddHealthChecks().AddLimpsSessions();

        // 2. The MCP server, with sessions on. Its own idle timeout and idle-session cap are switched off so that
        //    it never drops a session before Limps does; Limps tells it when a session ends.
        builder.Services.AddMcpServer()
            .WithHttpTransport(transport =>
            {
                transport.SessionMode = HttpServerSessionMode.Stateful;
#pragma warning disable MCP9006 // Obsolete in the SDK, yet still what decides when it drops idle sessions.
                transport.IdleTimeout = Timeout.InfiniteTimeSpan;
                transport.MaxIdleSessionCount = int.MaxValue;
#pragma warning restore MCP9006
            })
            .WithTools<SampleTools>();

        configure?.Invoke(builder);

        WebApplication app = builder.Build();

        // 3. The session check on the MCP endpoint. "Sample:SessionCheck=false" leaves it off (the benchmarks
        //    compare the same host with and without it).
        IEndpointConventionBuilder mcp = app.MapMcp("/mcp");
        if (app.Configuration.GetValue(SessionCheckKey, defaultValue: true))
        {
            mcp.WithLimpsSessions();
        }

        app.MapHealthChecks("/health");
        return app;
    }
}
