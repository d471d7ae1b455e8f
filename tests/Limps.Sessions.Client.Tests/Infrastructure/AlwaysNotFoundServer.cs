using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Limps.Sessions.Client.Tests.Infrastructure;

/// <summary>
/// A tiny MCP-looking server on Kestrel loopback that starts a session for every <c>initialize</c>, accepts
/// notifications, and answers 404 <c>SESSION_NOT_FOUND</c> to every other request: a client cannot get anything done,
/// however it recovers.
/// </summary>
public sealed class AlwaysNotFoundServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _initializes;
    private int _notFounds;

    private AlwaysNotFoundServer(WebApplication app) => _app = app;

    public Uri McpEndpoint { get; private set; } = null!;

    public int Initializes => Volatile.Read(ref _initializes);

    public int NotFounds => Volatile.Read(ref _notFounds);

    public static async Task<AlwaysNotFoundServer> StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        WebApplication app = builder.Build();
        var server = new AlwaysNotFoundServer(app);
        app.MapPost("/mcp", server.PostAsync);
        app.MapMethods("/mcp", ["GET", "DELETE"], (HttpContext context) => server.NotFoundAsync(context));
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        server.McpEndpoint = new Uri(new Uri(address), "/mcp");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task PostAsync(HttpContext context)
    {
        using JsonDocument message = await JsonDocument.ParseAsync(context.Request.Body);
        string? method = message.RootElement.TryGetProperty("method", out JsonElement m) ? m.GetString() : null;
        if (method == "initialize" && !context.Request.Headers.ContainsKey("Mcp-Session-Id"))
        {
            Interlocked.Increment(ref _initializes);
            context.Response.Headers["Mcp-Session-Id"] = Guid.NewGuid().ToString("N");
            await context.Response.WriteAsJsonAsync(new
            {
                jsonrpc = "2.0",
                id = message.RootElement.GetProperty("id").GetInt64(),
                result = new
                {
                    protocolVersion = "2025-11-25",
                    capabilities = new { tools = new { } },
                    serverInfo = new { name = "always-404", version = "1" },
                },
            });
            return;
        }

        if (method is not null && method.StartsWith("notifications/", StringComparison.Ordinal))
        {
            context.Response.StatusCode = StatusCodes.Status202Accepted;
            return;
        }

        await NotFoundAsync(context);
    }

    private async Task NotFoundAsync(HttpContext context)
    {
        Interlocked.Increment(ref _notFounds);
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        await context.Response.WriteAsJsonAsync(new
        {
            error = "Session not found",
            code = "SESSION_NOT_FOUND",
            message = "Session ID not recognized. It may have been invalid or the server was restarted.",
        });
    }
}
