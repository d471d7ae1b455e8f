using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Limps.Sessions.AspNetCore;
using Limps.Sessions.SampleHost;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using ModelContextProtocol.AspNetCore;
using NodaTime;
using NodaTime.Testing;
using StackExchange.Redis;
using TestUserAuthenticationHandler = Limps.Sessions.AspNetCore.Tests.Infrastructure.TestUserAuthenticationHandler;

namespace Limps.Sessions.Redis.Tests.Infrastructure;

/// <summary>
/// One replica: the sample MCP host (real ASP.NET Core pipeline, real MCP SDK server, the Limps check on its
/// endpoint) on an in-memory TestServer, switched to Redis with <c>UseRedis</c>. Replicas of one test share a Redis,
/// a key prefix and (usually) a fake clock; each has its own fake timer source, so a test decides which one sweeps.
/// </summary>
public sealed class ReplicaHost : IAsyncDisposable
{
    public const string ProtocolVersion = "2025-11-25";

    private readonly ConcurrentDictionary<string, byte> _sdkClosed = new(StringComparer.Ordinal);

    private ReplicaHost(WebApplication app, FakeClock clock, FakeTimeProvider time)
    {
        App = app;
        Clock = clock;
        Time = time;
    }

    public WebApplication App { get; }

    public FakeClock Clock { get; }

    /// <summary>Drives this replica's sweeper cadence.</summary>
    public FakeTimeProvider Time { get; }

    public HttpClient Client { get; private set; } = null!;

    public ISessionRegistry Registry => App.Services.GetRequiredService<ISessionRegistry>();

    public IExpiryLedger Ledger => App.Services.GetRequiredService<IExpiryLedger>();

    /// <summary>Whether this replica's MCP SDK dropped its state of a session.</summary>
    public bool SdkClosed(string sessionId) => _sdkClosed.ContainsKey(sessionId);

    public static async Task<ReplicaHost> StartAsync(
        IConnectionMultiplexer connection,
        string prefix,
        FakeClock clock,
        Action<LimpsSessionsOptions>? options = null,
        Action<RedisSessionStoreOptions>? redis = null)
    {
        var time = new FakeTimeProvider(TestTime.Start.ToDateTimeOffset());
        ReplicaHost? host = null;
        var closed = new ConcurrentQueue<string>();
        WebApplication app = SampleHostApp.Create([], builder =>
        {
            builder.WebHost.UseTestServer();
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton<IClock>(clock);
            builder.Services.AddSingleton<TimeProvider>(time);
            builder.Services.AddLimpsSessions().UseRedis(connection).ConfigureRedis(o =>
            {
                o.KeyPrefix = prefix;
                redis?.Invoke(o);
            });

            // Callers named in X-Test-User are authenticated (so their sessions are bound to them); others are anonymous.
            builder.Services.AddAuthentication(TestUserAuthenticationHandler.SchemeName)
                .AddScheme<AuthenticationSchemeOptions, TestUserAuthenticationHandler>(TestUserAuthenticationHandler.SchemeName, null);
            builder.Services.Configure<LimpsSessionsOptions>(o =>
            {
                o.SweepInterval = TimeSpan.FromMinutes(1);
                options?.Invoke(o);
            });
            builder.Services.Configure<HttpServerTransportOptions>(transport =>
            {
#pragma warning disable MCPEXP002 // The only hook that tells when the SDK itself closed a session.
                transport.RunSessionHandler = async (_, server, token) =>
                {
                    try
                    {
                        await server.RunAsync(token);
                    }
                    finally
                    {
                        if (host is not null)
                        {
                            host._sdkClosed[server.SessionId ?? string.Empty] = 0;
                        }
                    }
                };
#pragma warning restore MCPEXP002
            });
        });
        host = new ReplicaHost(app, clock, time);
        await app.StartAsync();
        host.Client = app.GetTestClient();
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }

    /// <summary>Moves this replica's timers on by one sweep interval, so its hosted sweeper runs once.</summary>
    public void TickSweeper() => Time.Advance(TimeSpan.FromMinutes(1));

    public HttpRequestMessage Request(HttpMethod method, string? sessionId = null, string? body = null, string? user = null)
    {
        var request = new HttpRequestMessage(method, "/mcp");
        if (user is not null)
        {
            request.Headers.Add(TestUserAuthenticationHandler.Header, user);
        }

        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (sessionId is not null)
        {
            request.Headers.TryAddWithoutValidation(SessionHeaders.SessionId, sessionId);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return request;
    }

    public static string JsonRpc(string method, int? id = 1, object? parameters = null)
    {
        var message = new Dictionary<string, object?> { ["jsonrpc"] = "2.0", ["method"] = method, ["params"] = parameters ?? new { } };
        if (id is not null)
        {
            message["id"] = id;
        }

        return JsonSerializer.Serialize(message);
    }

    /// <summary>Runs the MCP handshake over raw HTTP and returns the session id the server issued.</summary>
    public async Task<string> InitializeAsync(string? user = null)
    {
        using HttpResponseMessage response = await Client.SendAsync(Request(HttpMethod.Post, body: JsonRpc("initialize", 1, new
        {
            protocolVersion = ProtocolVersion,
            capabilities = new { },
            clientInfo = new { name = "limps-redis-tests", version = "1.0" },
        }), user: user));
        response.EnsureSuccessStatusCode();
        string id = response.Headers.GetValues(SessionHeaders.SessionId).Single();
        using HttpResponseMessage initialized = await Client.SendAsync(
            Request(HttpMethod.Post, id, JsonRpc("notifications/initialized", id: null), user));
        initialized.EnsureSuccessStatusCode();
        return id;
    }

    public Task<HttpResponseMessage> CallEchoAsync(string sessionId, string message = "hi", string? user = null) =>
        Client.SendAsync(Request(HttpMethod.Post, sessionId,
            JsonRpc("tools/call", 3, new { name = "echo", arguments = new { message } }), user));

    public Task<HttpResponseMessage> DeleteAsync(string sessionId, string? user = null) =>
        Client.SendAsync(Request(HttpMethod.Delete, sessionId, user: user));
}
