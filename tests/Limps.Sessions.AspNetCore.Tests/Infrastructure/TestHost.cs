using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Limps.Sessions.SampleHost;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using ModelContextProtocol.AspNetCore;
using NodaTime;
using NodaTime.Testing;

namespace Limps.Sessions.AspNetCore.Tests.Infrastructure;

/// <summary>
/// The sample MCP host (real ASP.NET Core pipeline, real MCP SDK server, Limps on its endpoint) on an in-memory
/// TestServer or on Kestrel loopback, with a fake clock, a fake timer source, captured logs, a test
/// authentication scheme and a record of the sessions the MCP SDK itself closed.
/// </summary>
public sealed class TestHost : IAsyncDisposable
{
    public const string ProtocolVersion = "2025-11-25";
    public static readonly Instant Start = Instant.FromUtc(2026, 2, 11, 10, 0);

    private TestHost(WebApplication app, FakeClock clock, FakeTimeProvider time, SdkSessionLog sdkClosed, Uri baseAddress, HttpClient client)
    {
        App = app;
        Clock = clock;
        Time = time;
        SdkClosedSessions = sdkClosed;
        BaseAddress = baseAddress;
        Client = client;
    }

    public WebApplication App { get; }

    public FakeClock Clock { get; }

    public FakeTimeProvider Time { get; }

    /// <summary>The sessions whose MCP SDK state ended (its session handler returned).</summary>
    public SdkSessionLog SdkClosedSessions { get; }

    public Uri BaseAddress { get; }

    public Uri McpEndpoint => new(BaseAddress, "/mcp");

    public HttpClient Client { get; }

    public ISessionRegistry Registry => App.Services.GetRequiredService<ISessionRegistry>();

    public IExpiryLedger Ledger => App.Services.GetRequiredService<IExpiryLedger>();

    public FakeLogCollector Logs => App.Services.GetFakeLogCollector();

    public static async Task<TestHost> StartAsync(
        Action<LimpsSessionsOptions>? options = null,
        Action<WebApplicationBuilder>? configure = null,
        bool kestrel = false,
        FakeClock? clock = null,
        Func<string[], Action<WebApplicationBuilder>, WebApplication>? createApp = null)
    {
        clock ??= new FakeClock(Start);
        var time = new FakeTimeProvider(Start.ToDateTimeOffset());
        var sdkClosed = new SdkSessionLog();
        string[] args = kestrel ? ["--urls", "http://127.0.0.1:0"] : [];
        createApp ??= SampleHostApp.Create;
        WebApplication app = createApp(args, builder =>
        {
            if (!kestrel)
            {
                builder.WebHost.UseTestServer();
            }

            builder.Logging.ClearProviders().AddFakeLogging().SetMinimumLevel(LogLevel.Debug);
            builder.Services.AddSingleton<IClock>(clock);
            builder.Services.AddSingleton<TimeProvider>(time);
            builder.Services.AddAuthentication(TestUserAuthenticationHandler.SchemeName)
                .AddScheme<AuthenticationSchemeOptions, TestUserAuthenticationHandler>(TestUserAuthenticationHandler.SchemeName, null);
            builder.Services.Configure<HttpServerTransportOptions>(transport =>
            {
#pragma warning disable MCPEXP002 // The only hook that tells when the SDK itself closed a session.
                transport.RunSessionHandler = async (_, server, closed) =>
                {
                    try
                    {
                        await server.RunAsync(closed);
                    }
                    finally
                    {
                        sdkClosed.Closed(server.SessionId ?? string.Empty);
                    }
                };
#pragma warning restore MCPEXP002
            });
            if (options is not null)
            {
                builder.Services.Configure(options);
            }

            configure?.Invoke(builder);
        });

        await app.StartAsync();
        Uri baseAddress;
        HttpClient client;
        if (kestrel)
        {
            string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
            baseAddress = new Uri(address);
            client = new HttpClient { BaseAddress = baseAddress };
        }
        else
        {
            client = app.GetTestClient();
            baseAddress = client.BaseAddress!;
        }

        return new TestHost(app, clock, time, sdkClosed, baseAddress, client);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }

    public HttpRequestMessage Request(HttpMethod method, string? sessionId = null, string? user = null, string? body = null)
    {
        var request = new HttpRequestMessage(method, "/mcp");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (sessionId is not null)
        {
            request.Headers.TryAddWithoutValidation(SessionHeaders.SessionId, sessionId);
        }

        if (user is not null)
        {
            request.Headers.Add(TestUserAuthenticationHandler.Header, user);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return request;
    }

    public static string JsonRpc(string method, int? id = 1, object? parameters = null) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["jsonrpc"] = "2.0",
            ["id"] = id,
            ["method"] = method,
            ["params"] = parameters ?? new { },
        }.Where(p => p.Key != "id" || id is not null).ToDictionary());

    public static string InitializeBody() => JsonRpc("initialize", 1, new
    {
        protocolVersion = ProtocolVersion,
        capabilities = new { },
        clientInfo = new { name = "limps-tests", version = "1.0" },
    });

    /// <summary>Runs the MCP handshake over raw HTTP and returns the session id the server issued.</summary>
    public async Task<string> InitializeAsync(string? user = null)
    {
        using HttpResponseMessage response = await Client.SendAsync(Request(HttpMethod.Post, user: user, body: InitializeBody()));
        response.EnsureSuccessStatusCode();
        string id = response.Headers.GetValues(SessionHeaders.SessionId).Single();
        using HttpResponseMessage initialized = await Client.SendAsync(
            Request(HttpMethod.Post, id, user, JsonRpc("notifications/initialized", id: null)));
        initialized.EnsureSuccessStatusCode();
        return id;
    }

    public Task<HttpResponseMessage> ListToolsAsync(string? sessionId, string? user = null) =>
        Client.SendAsync(Request(HttpMethod.Post, sessionId, user, JsonRpc("tools/list", 2)));

    public Task<HttpResponseMessage> CallEchoAsync(string sessionId, string message = "hi", string? user = null) =>
        Client.SendAsync(Request(HttpMethod.Post, sessionId, user,
            JsonRpc("tools/call", 3, new { name = "echo", arguments = new { message } })));

    public async Task<SessionLookup> LookupAsync(string sessionId) =>
        await Registry.LookupAsync(SessionId.Parse(sessionId));
}
