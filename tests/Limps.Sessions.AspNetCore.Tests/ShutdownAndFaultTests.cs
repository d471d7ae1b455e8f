using System.Collections.Concurrent;
using System.Net;
using Limps.Sessions.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace Limps.Sessions.AspNetCore.Tests;

/// <summary>
/// Graceful shutdown with a request in flight, a lifecycle observer that throws, and a sweeper whose sweeps keep
/// failing: requests finish, nothing is left half-ended, and the sweeper keeps its cadence.
/// </summary>
[TestFixture]
public sealed class ShutdownAndFaultTests
{
    private static readonly TimeSpan Idle = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan Sweep = TimeSpan.FromSeconds(30);

    [Test]
    [CancelAfter(60_000)]
    public async Task Graceful_stop_lets_a_request_in_flight_finish_then_closes_every_session()
    {
        var gate = new ToolGate();
        TestHost host = await TestHost.StartAsync(o => o.IdleTimeout = Idle, gate.Install, kestrel: true);
        ISessionRegistry registry = host.Registry;
        string busy = await host.InitializeAsync();
        string idle = await host.InitializeAsync();
        string owned = await host.InitializeAsync(user: "alice");
        Task<HttpResponseMessage> call = host.Client.SendAsync(host.Request(HttpMethod.Post, busy, body: ToolGate.CallBody()));
        await gate.Entered.WaitAsync(TimeSpan.FromSeconds(10));
        host.Clock.Advance(Duration.FromSeconds(42));

        Task stop = host.App.StopAsync();
        await host.App.Lifetime.ApplicationStopping.WhenCancelled().WaitAsync(TimeSpan.FromSeconds(10));

        stop.IsCompleted.Should().BeFalse("the server waits for the request in flight");
        (await registry.LookupAsync(SessionId.Parse(busy))).IsActive.Should().BeTrue("its request is still running");
        gate.Open();
        using HttpResponseMessage response = await call.WaitAsync(TimeSpan.FromSeconds(10));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.McpMessageAsync()).GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString()
            .Should().Be("done", "the request in flight finished normally");
        await stop.WaitAsync(TimeSpan.FromSeconds(30));

        foreach (string id in new[] { busy, idle, owned })
        {
            SessionLookup lookup = await registry.LookupAsync(SessionId.Parse(id));
            lookup.IsExpired.Should().BeTrue();
            lookup.Expiry.Reason.Should().Be(ExpiryReason.Closed);
            lookup.Expiry.ExpiredAt.Should().Be(TestHost.Start + Duration.FromSeconds(42));
        }

        (await registry.LookupAsync(SessionId.Parse(busy))).Expiry.LastActiveAt
            .Should().Be(TestHost.Start + Duration.FromSeconds(42), "its request ended just before the shutdown closed it");
        (await registry.CountAsync()).Should().Be(0);
        await host.DisposeAsync();
    }

    [Test]
    public async Task A_throwing_lifecycle_observer_breaks_no_request_and_leaves_no_session_half_ended()
    {
        var throwing = new ThrowingObserver();
        var recorder = new EndRecorder();
        var requests = new ServerRequests();
        TestHost host = await TestHost.StartAsync(
            o =>
            {
                o.IdleTimeout = Idle;
                o.SweepInterval = Sweep;
            },
            builder =>
            {
                // First in line, before the releaser that frees the MCP server's own session.
                builder.Services.Insert(0, ServiceDescriptor.Singleton<ISessionLifecycleObserver>(throwing));
                builder.Services.AddSingleton<ISessionLifecycleObserver>(recorder);
                HostedSweeper.EnableSweepLogs(builder);
                requests.Install(builder);
            });
        ISessionRegistry registry = host.Registry;
        Microsoft.Extensions.Logging.Testing.FakeLogCollector logs = host.Logs;
        string deleted = await host.InitializeAsync();
        string timedOut = await host.InitializeAsync(user: "alice");
        string closed = await host.InitializeAsync();
        try
        {
            using (HttpResponseMessage echo = await host.CallEchoAsync(deleted, "still fine"))
            {
                echo.StatusCode.Should().Be(HttpStatusCode.OK);
            }

            using (HttpResponseMessage delete = await host.Client.SendAsync(host.Request(HttpMethod.Delete, deleted)))
            {
                delete.StatusCode.Should().Be(HttpStatusCode.OK);
            }

            (await host.SdkClosedSessions.WaitForCloseAsync(deleted)).Should().BeTrue("the releaser after the throwing observer still ran");

            await requests.WaitUntilIdleAsync();
            host.Clock.Advance(Duration.FromTimeSpan(Idle) - Duration.FromMinutes(1));
            using (HttpResponseMessage echo = await host.CallEchoAsync(closed, "keep me"))
            {
                echo.StatusCode.Should().Be(HttpStatusCode.OK);
            }

            await requests.WaitUntilIdleAsync();
            host.Clock.Advance(Duration.FromMinutes(1));
            await HostedSweeper.RunOnceAsync(host);
            (await host.SdkClosedSessions.WaitForCloseAsync(timedOut)).Should().BeTrue();
            (await registry.LookupAsync(SessionId.Parse(closed))).IsActive.Should().BeTrue("it was used a minute ago");
        }
        finally
        {
            await host.DisposeAsync();
        }

        throwing.Started.Should().Be(3);
        throwing.Ended.Should().Be(3);
        recorder.Reasons.Should().BeEquivalentTo(new Dictionary<string, string>
        {
            [deleted] = "deleted",
            [timedOut] = "timeout",
            [closed] = "closed",
        }, "each session ended exactly once, and every observer heard of it");
        recorder.Duplicates.Should().Be(0);
        logs.GetSnapshot().Count(r => r.Id.Name == "ObserverFailed" && r.Level == LogLevel.Error).Should().Be(6);
    }

    [Test]
    public async Task The_sweeper_ticks_once_per_interval_through_consecutive_failures()
    {
        var failures = new FailingSweeps(failures: 3);
        await using TestHost host = await TestHost.StartAsync(
            o =>
            {
                o.IdleTimeout = Idle;
                o.SweepInterval = Sweep;
            },
            b => b.Services.AddSingleton<ISessionRegistry>(sp => failures.Wrap(new InMemorySessionRegistry(
                new LimpsSessionsOptions { IdleTimeout = Idle, SweepInterval = Sweep },
                sp.GetRequiredService<NodaTime.IClock>(),
                sp.GetRequiredService<IExpiryLedger>(),
                sp.GetServices<ISessionLifecycleObserver>()))));
        string id = await host.InitializeAsync();
        host.Clock.Advance(Duration.FromTimeSpan(Idle));

        for (int tick = 1; tick <= 3; tick++)
        {
            host.Time.Advance(Sweep);
            (await Eventually.TrueAsync(() => Task.FromResult(failures.Calls == tick))).Should().BeTrue("tick {0} sweeps once", tick);
            (await host.Registry.CountAsync()).Should().Be(1, "the failing sweep ended nothing");
        }

        host.Time.Advance(Sweep);
        (await Eventually.TrueAsync(async () => await host.Registry.CountAsync() == 0)).Should().BeTrue();
        failures.Calls.Should().Be(4, "one sweep per interval, failed or not");
        host.App.Lifetime.ApplicationStopping.IsCancellationRequested.Should().BeFalse("failed sweeps do not stop the host");
        host.Logs.GetSnapshot().Count(r => r.Id.Name == "SweepFailed").Should().Be(3);
        (await host.Ledger.FindAsync(SessionId.Parse(id)))!.Reason.Should().Be(ExpiryReason.Timeout);
        (await host.SdkClosedSessions.WaitForCloseAsync(id)).Should().BeTrue();
    }

    private sealed class ThrowingObserver : ISessionLifecycleObserver
    {
        private int _started;
        private int _ended;

        public int Started => Volatile.Read(ref _started);

        public int Ended => Volatile.Read(ref _ended);

        public void OnSessionStarted(SessionInfo session)
        {
            Interlocked.Increment(ref _started);
            throw new InvalidOperationException("observer failed on start");
        }

        public void OnSessionEnded(ExpiredSession session)
        {
            Interlocked.Increment(ref _ended);
            throw new InvalidOperationException("observer failed on end");
        }
    }

    private sealed class EndRecorder : ISessionLifecycleObserver
    {
        private int _duplicates;

        public ConcurrentDictionary<string, string> Reasons { get; } = new(StringComparer.Ordinal);

        public int Duplicates => Volatile.Read(ref _duplicates);

        public void OnSessionStarted(SessionInfo session)
        {
        }

        public void OnSessionEnded(ExpiredSession session)
        {
            if (!Reasons.TryAdd(session.Id.ToString(), session.Reason.Code))
            {
                Interlocked.Increment(ref _duplicates);
            }
        }
    }
}

internal static class CancellationTokenExtensions
{
    public static Task WhenCancelled(this CancellationToken token)
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.Register(() => cancelled.TrySetResult());
        return cancelled.Task;
    }
}
