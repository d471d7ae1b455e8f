using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Testing;

namespace Limps.Sessions.Client.Tests.Infrastructure;

/// <summary>A <see cref="SessionRecoveryHandler"/> over a <see cref="ScriptedServer"/>, with fake time, logs and meter.</summary>
public sealed class Harness : IDisposable
{
    public const string InitializeBody =
        """{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"harness","version":"1"}}}""";

    public const string InitializedBody = """{"jsonrpc":"2.0","method":"notifications/initialized"}""";

    private readonly ConcurrentQueue<SessionReplacedEventArgs> _replacements = new();
    private int _rpcId;

    public Harness(Action<SessionRecoveryOptions>? configure = null, ScriptedServer? server = null)
    {
        Server = server ?? new ScriptedServer();
        Time = new WatchedTime();
        Logger = new FakeLogger();
        Meter = new ClientMeter();
        var options = new SessionRecoveryOptions { TimeProvider = Time };
        configure?.Invoke(options);
        Handler = new SessionRecoveryHandler(Server, options, Logger, Meter.Factory);
        Handler.SessionReplaced += (_, e) => _replacements.Enqueue(e);
        Client = new HttpClient(Handler) { BaseAddress = new Uri("http://mcp.test/") };
    }

    public ScriptedServer Server { get; }

    public WatchedTime Time { get; }

    public FakeLogger Logger { get; }

    public ClientMeter Meter { get; }

    public SessionRecoveryHandler Handler { get; }

    public HttpClient Client { get; }

    public IReadOnlyList<SessionReplacedEventArgs> Replacements => [.. _replacements];

    public static HttpRequestMessage Post(string? sessionId, string body, string? protocolVersion = "2025-11-25")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "mcp") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (sessionId is not null)
        {
            request.Headers.TryAddWithoutValidation("Mcp-Session-Id", sessionId);
        }

        if (protocolVersion is not null)
        {
            request.Headers.TryAddWithoutValidation("MCP-Protocol-Version", protocolVersion);
        }

        return request;
    }

    public HttpRequestMessage Call(string sessionId, string tool = "echo") =>
        Post(sessionId, JsonSerializer.Serialize(new
        {
            jsonrpc = "2.0",
            id = Interlocked.Increment(ref _rpcId),
            method = "tools/call",
            @params = new { name = tool, arguments = new { } },
        }));

    /// <summary>initialize (no id), then notifications/initialized; returns the id the caller got.</summary>
    public async Task<string> ConnectAsync(bool sendInitialized = true)
    {
        using HttpResponseMessage initialized = await Client.SendAsync(Post(null, InitializeBody, protocolVersion: null));
        initialized.EnsureSuccessStatusCode();
        string id = initialized.Headers.GetValues("Mcp-Session-Id").Single();
        if (sendInitialized)
        {
            using HttpResponseMessage notified = await Client.SendAsync(Post(id, InitializedBody));
            notified.EnsureSuccessStatusCode();
        }

        return id;
    }

    public Task<HttpResponseMessage> CallAsync(string sessionId, CancellationToken cancellationToken = default) =>
        Client.SendAsync(Call(sessionId), cancellationToken);

    public IEnumerable<string> LogMessages => Logger.Collector.GetSnapshot().Select(r => r.Message);

    public void Dispose()
    {
        Client.Dispose();
        Meter.Dispose();
    }
}
