using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Limps.Sessions.AspNetCore.Tests.Infrastructure;

/// <summary>
/// An official MCP C# SDK client (Streamable HTTP, protocol 2025-11-25) connected to a <see cref="TestHost"/>, with its
/// own <see cref="HttpClient"/> whose handler records every HTTP answer the SDK got and tells when the standalone GET
/// stream was opened.
/// </summary>
public sealed class McpTestClient : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly RecordingHandler _recorder;

    private McpTestClient(McpClient client, HttpClient http, RecordingHandler recorder)
    {
        Client = client;
        _http = http;
        _recorder = recorder;
        SessionId = client.SessionId ?? throw new InvalidOperationException("The server issued no session id.");
    }

    public McpClient Client { get; }

    public string SessionId { get; }

    /// <summary>
    /// Completes when the server answered the SDK's standalone GET with a success status. The server only sends those
    /// headers after Limps let the request through, and Limps holds a lease on the session for the whole request, so
    /// from then on (until the stream closes) the session holds a lease.
    /// </summary>
    public Task StandaloneStreamOpened => _recorder.StreamOpened;

    /// <summary>Every HTTP answer the SDK received: method and status.</summary>
    public IReadOnlyCollection<(HttpMethod Method, HttpStatusCode Status)> Responses => _recorder.Responses;

    public static async Task<McpTestClient> ConnectAsync(
        TestHost host,
        bool standaloneGetStream = true,
        string? user = null,
        bool ownsSession = true,
        string? knownSessionId = null,
        ResumeClientSessionOptions? resume = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        var recorder = new RecordingHandler(CreateInnerHandler(host));
        var http = new HttpClient(recorder);
        try
        {
            var options = new HttpClientTransportOptions
            {
                Endpoint = host.McpEndpoint,
                TransportMode = HttpTransportMode.StreamableHttp,
                EnableStandaloneGetStream = standaloneGetStream,
                OwnsSession = ownsSession,
                KnownSessionId = knownSessionId,
            };
            if (user is not null)
            {
                options.AdditionalHeaders = new Dictionary<string, string> { [TestUserAuthenticationHandler.Header] = user };
            }

            var transport = new HttpClientTransport(options, http);
            var clientOptions = new McpClientOptions { ProtocolVersion = TestHost.ProtocolVersion };
            McpClient client = resume is null
                ? await McpClient.CreateAsync(transport, clientOptions)
                : await McpClient.ResumeSessionAsync(transport, resume, clientOptions);
            return new McpTestClient(client, http, recorder);
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    public async Task<string> EchoAsync(string message)
    {
        CallToolResult result = await Client.CallToolAsync("echo", new Dictionary<string, object?> { ["message"] = message });
        return TextOf(result);
    }

    public static string TextOf(CallToolResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        result.IsError.Should().NotBe(true, "the tool call should succeed");
        return result.Content.OfType<TextContentBlock>().Single().Text;
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        _http.Dispose();
    }

    private static HttpMessageHandler CreateInnerHandler(TestHost host) =>
        host.App.Services.GetRequiredService<IServer>() is TestServer testServer
            ? testServer.CreateHandler()
            : new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };

    private sealed class RecordingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private readonly TaskCompletionSource _streamOpened = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ConcurrentQueue<(HttpMethod, HttpStatusCode)> _responses = new();

        public Task StreamOpened => _streamOpened.Task;

        public IReadOnlyCollection<(HttpMethod Method, HttpStatusCode Status)> Responses => [.. _responses];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            HttpResponseMessage response = await base.SendAsync(request, cancellationToken);
            _responses.Enqueue((request.Method, response.StatusCode));
            if (request.Method == HttpMethod.Get && response.IsSuccessStatusCode)
            {
                _streamOpened.TrySetResult();
            }

            return response;
        }
    }
}
