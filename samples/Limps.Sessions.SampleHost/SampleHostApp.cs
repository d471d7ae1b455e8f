using Limps.Sessions;
using Limps.Sessions.AspNetCore;
using Limps.Sessions.SampleHost.Tools;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using ModelContextProtocol.AspNetCore;

namespace Limps.Sessions.SampleHost;

/// <summary>Builds the sample MCP host: a dual-era MCP server on ModelContextProtocol.AspNetCore with Limps.Sessions.</summary>
public static class SampleHostApp
{
    /// <summary>The address the host listens on when neither <c>--urls</c> nor <c>ASPNETCORE_URLS</c> says otherwise.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>The configuration key that switches the Limps check on the MCP endpoint off when <c>false</c>.</summary>
    public const string SessionCheckKey = "Sample:SessionCheck";

    /// <summary>
    /// The configuration key of the MCP transport's session mode: <c>StatefulForInitializeClients</c> (the default:
    /// sessions for clients that initialize, 2026-07-28 clients served per request) or <c>Stateful</c> (sessions only).
    /// </summary>
    public const string SessionModeKey = "Sample:SessionMode";

    /// <summary>
    /// The configuration key that puts sessions and baskets in Redis when set (a StackExchange.Redis configuration
    /// string, for example <c>127.0.0.1:6379</c>; from the environment <c>Limps__Sessions__Redis__Configuration</c>), so
    /// several replicas share them. Unset, they stay in this process's memory.
    /// </summary>
    public const string RedisConfigurationKey = "Limps:Sessions:Redis:Configuration";

    /// <summary>
    /// The configuration key that, set to <c>Plain</c>, serves the basket tools from a hand-written dictionary
    /// (<see cref="PlainBasketTools"/>) instead of Limps handles: a baseline for the load benchmark only, with no
    /// expiry, no expired answers and nothing shared between replicas. Unset (or <c>Limps</c>), baskets are Limps handles.
    /// </summary>
    public const string HandlesKey = "Sample:Handles";

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

        // 1. The MCP server with Limps under it: WithLimpsSessions() adds Limps (options from the "Limps:Sessions"
        //    section: appsettings.json, Limps__Sessions__* variables) and sets the SDK's transport for it: sessions for
        //    clients that initialize, 2026-07-28 clients served per request, no SDK idle timeout of its own.
        bool plainBaskets = string.Equals(builder.Configuration[HandlesKey], "Plain", StringComparison.OrdinalIgnoreCase);
        IMcpServerBuilder mcpServer = builder.Services.AddMcpServer()
            .WithHttpTransport(transport => transport.SessionMode =
                builder.Configuration.GetValue(SessionModeKey, HttpServerSessionMode.StatefulForInitializeClients))
            .WithLimpsSessions()
            .WithTools<SampleTools>();

        // 2. State handles (design §8): baskets behind "bsk_..." ids, settings from "Limps:Handles:Basket" (IdleTimeout
        //    defaults to 24 h). A handle error from any tool becomes the §8 tool result through the filter that
        //    WithLimpsSessions() added. create_basket is built here so its description carries the durability policy.
        builder.Services.AddLimpsHandles(BasketTools.Kind, SampleJson.Default.Basket, o =>
        {
            o.Prefix = "bsk_";
            o.CreateToolName = BasketTools.CreateToolName;
        });
        if (plainBaskets)
        {
            // The load benchmark's baseline ("Sample:Handles=Plain"): the same tools over a hand-written dictionary.
            builder.Services.AddSingleton<PlainBasketTable>();
            mcpServer.WithTools<PlainBasketTools>();
        }
        else
        {
            mcpServer.WithTools<BasketTools>();
            builder.Services.AddSingleton(BasketTools.CreateBasketTool);
        }

        builder.Services.AddHealthChecks().AddLimpsSessions().AddLimpsHandles();

        // 3. Several replicas: with a Redis configuration string, sessions, tombstones and every handle kind live in
        //    Redis (store options from "Limps:Sessions:Redis"), shared by every replica on the same Redis.
        if (!string.IsNullOrEmpty(builder.Configuration[RedisConfigurationKey]))
        {
            builder.Services.AddLimpsSessions().UseRedis();
        }

        configure?.Invoke(builder);

        WebApplication app = builder.Build();

        // 4. The session check on the MCP endpoint. "Sample:SessionCheck=false" leaves it off (the benchmarks
        //    compare the same host with and without it).
        IEndpointConventionBuilder mcp = app.MapMcp("/mcp");
        if (app.Configuration.GetValue(SessionCheckKey, defaultValue: true))
        {
            mcp.WithLimpsSessions();
        }

        // Health with the counts: ASP.NET Core's default writer shows the overall status only.
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = LimpsHealthResponseWriter.WriteJsonAsync });
        return app;
    }
}
