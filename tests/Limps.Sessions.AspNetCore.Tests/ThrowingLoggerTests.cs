using System.Net;
using Limps.Sessions.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace Limps.Sessions.AspNetCore.Tests;

/// <summary>
/// A log provider that throws for every Limps category (Microsoft.Extensions.Logging then throws AggregateException from
/// the log call) changes no answer and stops nothing: a session's own initialize, calls and DELETE are answered
/// normally and the MCP server's session is freed when it ends; malformed, foreign and over-capacity requests still get
/// their 400/404/503; a failed sweep whose failure cannot be logged does not stop the host; graceful shutdown closes
/// every session without reporting an error. (Found by these tests; fixed in the core and the adapter.)
/// </summary>
[TestFixture]
public sealed class ThrowingLoggerTests
{
    private static ThrowingLoggerProvider LimpsSink() => new("Limps.Sessions", "Limps.Sessions.AspNetCore.Tests");

    [Test]
    public async Task A_sessions_own_requests_are_answered_normally_when_the_Limps_logger_throws()
    {
        ThrowingLoggerProvider provider = LimpsSink();
        TestHost host = await TestHost.StartAsync(
            o => o.IdleTimeout = TimeSpan.FromMinutes(2),
            builder => builder.Logging.AddProvider(provider));
        try
        {
            Func<Task<string>> initialize = () => host.InitializeAsync(user: "alice");
            string id = (await initialize.Should().NotThrowAsync()).Subject;
            (await host.Registry.CountAsync()).Should().Be(1);
            (await host.LookupAsync(id)).IsActive.Should().BeTrue();

            using (HttpResponseMessage echo = await host.CallEchoAsync(id, "hello", user: "alice"))
            {
                echo.StatusCode.Should().Be(HttpStatusCode.OK);
            }

            host.Clock.Advance(Duration.FromSeconds(5));
            Func<Task<HttpResponseMessage>> delete = () => host.Client.SendAsync(host.Request(HttpMethod.Delete, id, "alice"));
            using (HttpResponseMessage deleted = (await delete.Should().NotThrowAsync()).Subject)
            {
                deleted.StatusCode.Should().Be(HttpStatusCode.OK);
            }

            (await host.SdkClosedSessions.WaitForCloseAsync(id, TimeSpan.FromSeconds(5))).Should().BeTrue(
                "the MCP server's session is freed even though logging its end failed");
            using (HttpResponseMessage after = await host.CallEchoAsync(id, "again", user: "alice"))
            {
                await after.ShouldBeExpiredAsync("deleted", "2026-02-11T10:00:05.000Z");
            }

            (await host.Registry.CountAsync()).Should().Be(0);
            provider.Throws.Should().BeGreaterThan(0, "the logger did throw");
        }
        finally
        {
            await DisposeQuietlyAsync(host);
        }
    }

    [Test]
    public async Task Malformed_foreign_and_over_capacity_requests_get_their_answers_when_the_Limps_logger_throws()
    {
        TestHost host = await TestHost.StartAsync(
            o => o.MaxSessions = 1,
            builder =>
            {
                builder.Logging.AddFilter("Limps.Sessions", LogLevel.Debug);
                builder.Logging.AddProvider(LimpsSink());
            });
        try
        {
            string id = await host.InitializeAsync(user: "alice");

            Func<Task<HttpResponseMessage>> malformed = () => host.ListToolsAsync("has space");
            using (HttpResponseMessage answer = (await malformed.Should().NotThrowAsync()).Subject)
            {
                answer.StatusCode.Should().Be(HttpStatusCode.BadRequest);
            }

            Func<Task<HttpResponseMessage>> intruder = () => host.CallEchoAsync(id, "let me in", user: "bob");
            using (HttpResponseMessage answer = (await intruder.Should().NotThrowAsync()).Subject)
            {
                await answer.ShouldBeNotFoundAsync();
            }

            Func<Task<HttpResponseMessage>> full = () => host.Client.SendAsync(host.Request(HttpMethod.Post, body: TestHost.InitializeBody()));
            using (HttpResponseMessage answer = (await full.Should().NotThrowAsync()).Subject)
            {
                answer.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
            }
        }
        finally
        {
            await DisposeQuietlyAsync(host);
        }
    }

    [Test]
    public async Task A_failed_sweep_whose_failure_cannot_be_logged_does_not_stop_the_host()
    {
        var failures = new FailingSweeps(failures: 1);
        TimeSpan idle = TimeSpan.FromMinutes(2);
        TimeSpan sweep = TimeSpan.FromSeconds(30);
        TestHost host = await TestHost.StartAsync(
            o =>
            {
                o.IdleTimeout = idle;
                o.SweepInterval = sweep;
            },
            builder =>
            {
                builder.Logging.AddProvider(LimpsSink());
                builder.Services.AddSingleton<ISessionRegistry>(sp => failures.Wrap(new InMemorySessionRegistry(
                    new LimpsSessionsOptions { IdleTimeout = idle, SweepInterval = sweep },
                    sp.GetRequiredService<IClock>(),
                    sp.GetRequiredService<IExpiryLedger>(),
                    sp.GetServices<ISessionLifecycleObserver>())));
            });
        try
        {
            SessionInfo session = await host.Registry.CreateAsync();
            host.Clock.Advance(Duration.FromTimeSpan(idle));

            host.Time.Advance(sweep);
            (await Eventually.TrueAsync(() => Task.FromResult(failures.Calls == 1))).Should().BeTrue();
            host.Time.Advance(sweep);

            (await Eventually.TrueAsync(async () => (await host.Registry.LookupAsync(session.Id)).IsExpired, TimeSpan.FromSeconds(5)))
                .Should().BeTrue("the next tick sweeps");
            host.App.Lifetime.ApplicationStopping.IsCancellationRequested.Should().BeFalse("a failed log call must not stop the host");
        }
        finally
        {
            await DisposeQuietlyAsync(host);
        }
    }

    [Test]
    public async Task Graceful_shutdown_closes_every_session_and_reports_no_error_when_the_Limps_logger_throws()
    {
        TestHost host = await TestHost.StartAsync(configure: builder => builder.Logging.AddProvider(LimpsSink()));
        try
        {
            string first = await host.InitializeAsync();
            string second = await host.InitializeAsync(user: "alice");
            ISessionRegistry registry = host.Registry;

            Func<Task> stop = () => host.App.StopAsync();

            await stop.Should().NotThrowAsync();
            (await registry.LookupAsync(SessionId.Parse(first))).Expiry.Reason.Should().Be(ExpiryReason.Closed);
            (await registry.LookupAsync(SessionId.Parse(second))).Expiry.Reason.Should().Be(ExpiryReason.Closed);
        }
        finally
        {
            await DisposeQuietlyAsync(host);
        }
    }

    private static async Task DisposeQuietlyAsync(TestHost host)
    {
        try
        {
            await host.DisposeAsync();
        }
#pragma warning disable CA1031 // Cleanup of a host whose logger throws by design.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
