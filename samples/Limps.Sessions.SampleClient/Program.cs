// The Limps.Sessions sample client: an official MCP C# SDK client whose HttpClient runs through the
// SessionRecoveryHandler. It calls a tool, sleeps past the server's idle timeout, and calls again: the handler
// re-initializes and retries, and the app never sees the 404.
//
//   Limps__Sessions__IdleTimeout=00:00:05 dotnet run --project samples/Limps.Sessions.SampleHost
//   dotnet run --project samples/Limps.Sessions.SampleClient -- [url] [sleep-seconds]
//
// Defaults: http://127.0.0.1:5080/mcp and 7 seconds.
using System.Globalization;
using Limps.Sessions.Client;
using Limps.Sessions.SampleClient;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

Uri endpoint = new(args.Length > 0 ? args[0] : "http://127.0.0.1:5080/mcp");
TimeSpan sleep = TimeSpan.FromSeconds(args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 7);

// 1. The handler, under the HttpClient the SDK's transport uses.
using var recovery = new SessionRecoveryHandler(new SocketsHttpHandler(), new SessionRecoveryOptions(), new ConsoleLogger(LogLevel.Information));
recovery.SessionReplaced += (_, e) => Console.WriteLine(
    $"  [event] session replaced: {e.PreviousSessionId} -> {e.NewSessionId} ({e.Reason}{(e.ExpiryReason is null ? "" : ", " + e.ExpiryReason)}); " +
    $"the SDK still uses {e.CallerSessionId}. Restore subscriptions here.");
using var http = new HttpClient(recovery);

// 2. The SDK client as usual. The standalone GET stream is off only to let the session idle out: while that stream is
//    open the server counts the session as in use and never expires it.
var transport = new HttpClientTransport(new HttpClientTransportOptions
{
    Endpoint = endpoint,
    TransportMode = HttpTransportMode.StreamableHttp,
    EnableStandaloneGetStream = false,
}, http);

Console.WriteLine($"Connecting to {endpoint} ...");
try
{
    await using McpClient client = await McpClient.CreateAsync(transport, new McpClientOptions { ProtocolVersion = "2025-11-25" });
    Console.WriteLine($"Connected: session {Mask(client.SessionId)}, protocol {client.NegotiatedProtocolVersion}.");

    Console.WriteLine($"echo -> {await EchoAsync(client, "hello")}");
    Console.WriteLine($"session_info -> {await CallAsync(client, "session_info")}");

    Console.WriteLine($"Sleeping {sleep.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s (past a short idle timeout) ...");
    await Task.Delay(sleep);

    Console.WriteLine($"echo -> {await EchoAsync(client, "still here")}");
    Console.WriteLine($"session_info -> {await CallAsync(client, "session_info")}");
    Console.WriteLine($"The SDK's session id is unchanged: {Mask(client.SessionId)}. Done; disposing sends DELETE for the live session.");
    return 0;
}
catch (HttpRequestException ex)
{
    Console.Error.WriteLine($"Failed: {ex.Message}");
    return 1;
}

static async Task<string> EchoAsync(McpClient client, string message) =>
    Text(await client.CallToolAsync("echo", new Dictionary<string, object?> { ["message"] = message }));

static async Task<string> CallAsync(McpClient client, string tool) => Text(await client.CallToolAsync(tool));

static string Text(CallToolResult result) => string.Concat(result.Content.OfType<TextContentBlock>().Select(c => c.Text));

static string Mask(string? id) => id is null ? "(none)" : id[..Math.Min(8, id.Length / 2)] + "...";
