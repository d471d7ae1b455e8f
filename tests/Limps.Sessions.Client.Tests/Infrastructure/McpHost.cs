using Limps.Sessions.SampleHost;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using NodaTime;
using NodaTime.Testing;

namespace Limps.Sessions.Client.Tests.Infrastructure;

/// <summary>
/// The sample MCP host (real ASP.NET Core pipeline, real MCP SDK server, Limps on its endpoint) on Kestrel loopback,
/// with a fake clock deciding expiry and a fake timer source for the hosted sweeper (which therefore never ticks on
/// its own). It counts the MCP POST/DELETE requests still running, so a test can let a request's lease release land
/// before it moves the clock.
/// </summary>
public sealed class McpHost : IAsyncDisposable
{
    public const string ProtocolVersion = "2025-11-25";
    public static readonly Instant Start = Instant.FromUtc(2026, 2, 11, 10, 0);
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(5);

    private readonly InFlightRequests _inFlight;

    private McpHost(WebApplication app, FakeClock clock, Uri baseAddress, InFlightRequests inFlight)
    {
        App = app;
        Clock = clock;
        BaseAddress = baseAddress;
        _inFlight = inFlight;
    }

    public WebApplication App { get; }

    public FakeClock Clock { get; }

    public Uri BaseAddress { get; }

    public Uri McpEndpoint => new(BaseAddress, "/mcp");

    public int Port => BaseAddress.Port;

    public ISessionRegistry Registry => App.Services.GetRequiredService<ISessionRegistry>();

    /// <summary>Starts the host on 127.0.0.1 (port 0 = any free port).</summary>
    /// <param name="port">The port; 0 for any free one.</param>
    /// <param name="sessionCheck">False: the sample host without the Limps check (the MCP SDK's own sessions only).</param>
    /// <param name="settings">More configuration, as <c>key=value</c> command-line settings.</param>
    public static async Task<McpHost> StartAsync(int port = 0, bool sessionCheck = true, params string[] settings)
    {
        var clock = new FakeClock(Start);
        var inFlight = new InFlightRequests();
        string[] args = ["--urls", $"http://127.0.0.1:{port}", $"--{SampleHostApp.SessionCheckKey}={(sessionCheck ? "true" : "false")}", .. settings.Select(s => "--" + s)];
        WebApplication app = SampleHostApp.Create(args, builder =>
        {
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton<IClock>(clock);
            builder.Services.AddSingleton<TimeProvider>(new FakeTimeProvider(Start.ToDateTimeOffset()));
            builder.Services.Configure<LimpsSessionsOptions>(o => o.IdleTimeout = IdleTimeout);
            builder.Services.AddSingleton<IStartupFilter>(new InFlightFilter(inFlight));
        });
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new McpHost(app, clock, new Uri(address), inFlight);
    }

    /// <summary>Moves the fake clock past the idle timeout, once no request's lease release is still pending.</summary>
    public async Task IdlePastTimeoutAsync()
    {
        await _inFlight.WaitUntilIdleAsync();
        Clock.Advance(Duration.FromTimeSpan(IdleTimeout) + Duration.FromSeconds(1));
    }

    public Task WaitUntilIdleAsync() => _inFlight.WaitUntilIdleAsync();

    public async Task<SessionLookup> LookupAsync(string sessionId) => await Registry.LookupAsync(SessionId.Parse(sessionId));

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }

    /// <summary>Counts MCP POST/DELETE requests the server is still running (GET streams are not counted).</summary>
    private sealed class InFlightRequests
    {
        private readonly Lock _lock = new();
        private readonly List<TaskCompletionSource> _waiters = [];
        private int _count;

        public Task WaitUntilIdleAsync()
        {
            lock (_lock)
            {
                if (_count == 0)
                {
                    return Task.CompletedTask;
                }

                var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add(waiter);
                return waiter.Task.WaitAsync(TimeSpan.FromSeconds(10));
            }
        }

        public void Enter()
        {
            lock (_lock)
            {
                _count++;
            }
        }

        public void Exit()
        {
            TaskCompletionSource[] released = [];
            lock (_lock)
            {
                if (--_count == 0)
                {
                    released = [.. _waiters];
                    _waiters.Clear();
                }
            }

            foreach (TaskCompletionSource waiter in released)
            {
                waiter.TrySetResult();
            }
        }
    }

    private sealed class InFlightFilter(InFlightRequests inFlight) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (HttpContext context, RequestDelegate inner) =>
            {
                if (!context.Request.Path.StartsWithSegments("/mcp", StringComparison.Ordinal) || HttpMethods.IsGet(context.Request.Method))
                {
                    await inner(context);
                    return;
                }

                inFlight.Enter();
                try
                {
                    await inner(context);
                }
                finally
                {
                    inFlight.Exit();
                }
            });
            next(app);
        };
    }
}
