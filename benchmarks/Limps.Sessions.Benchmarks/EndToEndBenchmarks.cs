using System.Net.Http.Headers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Limps.Sessions.AspNetCore;
using Limps.Sessions.SampleHost;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Limps.Sessions.Benchmarks;

/// <summary>
/// 5. An MCP <c>tools/call</c> of <c>echo</c> through the sample host over loopback, with the Limps check on the
/// endpoint and without it (the same host with <c>Sample:SessionCheck=false</c>), each on a live session.
/// </summary>
[MemoryDiagnoser]
public class EndToEndBenchmarks
{
    private const string CallBody = """{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hello"}}}""";

    private Host _withLimps = null!;
    private Host _withoutLimps = null!;

    [GlobalSetup]
    public void Setup()
    {
        _withLimps = Host.StartAsync(sessionCheck: true).GetAwaiter().GetResult();
        _withoutLimps = Host.StartAsync(sessionCheck: false).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _withLimps.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _withoutLimps.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true)]
    public Task<int> Sdk_alone_tools_call() => _withoutLimps.CallEchoAsync();

    [Benchmark]
    public Task<int> Sdk_with_Limps_tools_call() => _withLimps.CallEchoAsync();

    private sealed class Host : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly HttpClient _client;
        private readonly string _sessionId;

        private Host(WebApplication app, HttpClient client, string sessionId)
        {
            _app = app;
            _client = client;
            _sessionId = sessionId;
        }

        public static async Task<Host> StartAsync(bool sessionCheck)
        {
            WebApplication app = SampleHostApp.Create(
            [
                "--urls", "http://127.0.0.1:0",
                $"--{SampleHostApp.SessionCheckKey}={sessionCheck}",
                "--Logging:LogLevel:Default=Warning",
                "--Logging:LogLevel:Limps.Sessions=Warning",
                "--Logging:LogLevel:ModelContextProtocol=Warning",
            ]);
            await app.StartAsync();
            string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
            var client = new HttpClient { BaseAddress = new Uri(address) };
            using HttpResponseMessage init = await client.SendAsync(Request(null,
                """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}"""));
            init.EnsureSuccessStatusCode();
            string id = init.Headers.GetValues(SessionHeaders.SessionId).Single();
            using HttpResponseMessage initialized = await client.SendAsync(Request(id, """{"jsonrpc":"2.0","method":"notifications/initialized"}"""));
            initialized.EnsureSuccessStatusCode();
            return new Host(app, client, id);
        }

        public async Task<int> CallEchoAsync()
        {
            using HttpResponseMessage response = await _client.SendAsync(Request(_sessionId, CallBody));
            response.EnsureSuccessStatusCode();
            byte[] body = await response.Content.ReadAsByteArrayAsync();
            return body.Length;
        }

        public async ValueTask DisposeAsync()
        {
            _client.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        private static HttpRequestMessage Request(string? sessionId, string body)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/mcp")
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            if (sessionId is not null)
            {
                request.Headers.Add(SessionHeaders.SessionId, sessionId);
            }

            return request;
        }
    }
}
