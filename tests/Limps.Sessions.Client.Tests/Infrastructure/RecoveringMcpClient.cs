using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Testing;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Limps.Sessions.Client.Tests.Infrastructure;

/// <summary>
/// The official MCP C# SDK client (Streamable HTTP) whose HttpClient runs through a <see cref="SessionRecoveryHandler"/>,
/// with a <see cref="WireRecorder"/> below it, a fake logger, its own meter and a record of the replacement events.
/// </summary>
public sealed class RecoveringMcpClient : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly ConcurrentQueue<SessionReplacedEventArgs> _replacements = new();

    private RecoveringMcpClient(McpClient client, HttpClient http, SessionRecoveryHandler handler, WireRecorder wire,
        WireRecorder sdkView, FakeLogger logger, ClientMeter meter)
    {
        SdkView = sdkView;
        Client = client;
        _http = http;
        Handler = handler;
        Wire = wire;
        Logger = logger;
        Meter = meter;
        SessionId = client.SessionId ?? throw new InvalidOperationException("The server issued no session id.");
        handler.SessionReplaced += (_, e) => _replacements.Enqueue(e);
    }

    public McpClient Client { get; }

    public SessionRecoveryHandler Handler { get; }

    /// <summary>What went to the server (below the handler).</summary>
    public WireRecorder Wire { get; }

    /// <summary>What the SDK sent and got back (above the handler).</summary>
    public WireRecorder SdkView { get; }

    public FakeLogger Logger { get; }

    public ClientMeter Meter { get; }

    /// <summary>The id the SDK got from its own initialize (the one it keeps sending).</summary>
    public string SessionId { get; }

    public IReadOnlyList<SessionReplacedEventArgs> Replacements => [.. _replacements];

    /// <summary>The ids that went over the wire after the last initialize answer: the server-side session now in use.</summary>
    public string? LastWireSessionId => Wire.Exchanges.LastOrDefault(e => e.SessionId is not null)?.SessionId;

    public static async Task<RecoveringMcpClient> ConnectAsync(
        Uri endpoint,
        bool standaloneGetStream = false,
        SessionRecoveryOptions? options = null,
        bool pinProtocolVersion = true,
        Action<HttpClientTransportOptions>? transport = null)
    {
        var wire = new WireRecorder(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        var logger = new FakeLogger();
        var meter = new ClientMeter();
        var handler = new SessionRecoveryHandler(wire, options, logger, meter.Factory);
        var sdkView = new WireRecorder(handler);
        var http = new HttpClient(sdkView);
        try
        {
            var transportOptions = new HttpClientTransportOptions
            {
                Endpoint = endpoint,
                TransportMode = HttpTransportMode.StreamableHttp,
                EnableStandaloneGetStream = standaloneGetStream,
            };
            transport?.Invoke(transportOptions);
            McpClient client = await McpClient.CreateAsync(
                new HttpClientTransport(transportOptions, http), pinProtocolVersion ? new McpClientOptions { ProtocolVersion = McpHost.ProtocolVersion } : null);
            return new RecoveringMcpClient(client, http, handler, wire, sdkView, logger, meter);
        }
        catch
        {
            http.Dispose();
            meter.Dispose();
            throw;
        }
    }

    public async Task<string> EchoAsync(string message)
    {
        CallToolResult result = await Client.CallToolAsync("echo", new Dictionary<string, object?> { ["message"] = message });
        result.IsError.Should().NotBe(true, "the tool call should succeed");
        return result.Content.OfType<TextContentBlock>().Single().Text;
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        _http.Dispose();
        Meter.Dispose();
    }
}
