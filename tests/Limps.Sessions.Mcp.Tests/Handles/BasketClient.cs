using System.Text.Json;
using Limps.Sessions.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Limps.Sessions.Mcp.Tests.Handles;

/// <summary>
/// The official MCP C# SDK client against the sample host, in one of the two eras: <see cref="Sessionless"/> (the
/// client's default, negotiating 2026-07-28: no session at all) or <see cref="Session"/> (2025-11-25: initialize and an
/// <c>Mcp-Session-Id</c>), optionally as a test user, with the basket tools as methods.
/// </summary>
public sealed class BasketClient : IAsyncDisposable
{
    public const string Sessionless = "2026-07-28";
    public const string Session = "2025-11-25";

    private readonly HttpClient _http;

    private BasketClient(McpClient client, HttpClient http)
    {
        Client = client;
        _http = http;
    }

    public McpClient Client { get; }

    public static async Task<BasketClient> ConnectAsync(TestHost host, string era, string? user = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        HttpMessageHandler handler = host.App.Services.GetRequiredService<IServer>() is TestServer server
            ? server.CreateHandler()
            : new SocketsHttpHandler();
        var http = new HttpClient(handler);
        try
        {
            var options = new HttpClientTransportOptions
            {
                Endpoint = host.McpEndpoint,
                TransportMode = HttpTransportMode.StreamableHttp,
                EnableStandaloneGetStream = false,
            };
            if (user is not null)
            {
                options.AdditionalHeaders = new Dictionary<string, string> { [TestUserAuthenticationHandler.Header] = user };
            }

            // The sessionless era is what the client does by default; only the session era names its version.
            var clientOptions = era == Session ? new McpClientOptions { ProtocolVersion = Session } : new McpClientOptions();
            McpClient client = await McpClient.CreateAsync(new HttpClientTransport(options, http), clientOptions);
            return new BasketClient(client, http);
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    public Task<CallToolResult> CreateAsync() => CallAsync("create_basket");

    public async Task<string> CreateBasketAsync()
    {
        CallToolResult result = await CreateAsync();
        result.IsError.Should().NotBe(true, TextOf(result));
        return result.StructuredContent!.Value.GetProperty("basket_id").GetString()!;
    }

    public Task<CallToolResult> AddItemAsync(string basketId, string sku) =>
        CallAsync("add_item", new() { ["basket_id"] = basketId, ["sku"] = sku });

    public Task<CallToolResult> GetAsync(string basketId) => CallAsync("get_basket", new() { ["basket_id"] = basketId });

    public Task<CallToolResult> ListAsync() => CallAsync("list_baskets");

    public Task<CallToolResult> DestroyAsync(string basketId) => CallAsync("destroy_basket", new() { ["basket_id"] = basketId });

    public static string TextOf(CallToolResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Content.OfType<TextContentBlock>().Single().Text;
    }

    /// <summary>The structured content exactly as the server's JSON carried it.</summary>
    public static string StructuredOf(CallToolResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        result.StructuredContent.Should().NotBeNull();
        return result.StructuredContent!.Value.GetRawText();
    }

    public static string[] ItemsOf(CallToolResult result) =>
        [.. result.StructuredContent!.Value.GetProperty("items").EnumerateArray().Select(e => e.GetString()!)];

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        _http.Dispose();
    }

    private Task<CallToolResult> CallAsync(string tool, Dictionary<string, object?>? arguments = null) =>
        Client.CallToolAsync(tool, arguments).AsTask();
}
