using System.Net;
using Limps.Sessions.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using NodaTime;

namespace Limps.Sessions.AspNetCore.Tests;

/// <summary>
/// Issue 12.1: no public-API call, owner string or store failure stops a background service. Each test runs a real
/// Kestrel host with the default <c>BackgroundServiceExceptionBehavior.StopHost</c>, so a fault that escaped a loop
/// would end the host.
/// </summary>
[TestFixture]
public sealed class BackgroundFaultTests
{
    private static readonly TimeSpan Idle = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Sweep = TimeSpan.FromSeconds(30);

    [Test]
    public async Task Ending_a_session_whose_owner_string_was_not_made_by_SessionOwner_is_logged_and_the_host_keeps_serving()
    {
        await using TestHost host = await TestHost.StartAsync(o => o.IdleTimeout = Idle, kestrel: true);
        var id = SessionId.Parse("alice-session-0123456789abcdef");

        await host.Registry.CreateAsync(id, "alice");
        (await host.Registry.EndAsync(id, ExpiryReason.Closed)).Should().BeTrue();

        (await Eventually.TrueAsync(() => Task.FromResult(host.Logs.GetSnapshot().Any(r => r.Id.Name == "ReleaseFailed"))))
            .Should().BeTrue("the failed release is logged");
        FakeLogRecord failed = host.Logs.GetSnapshot().First(r => r.Id.Name == "ReleaseFailed");
        failed.Message.Should().Contain(id.Masked).And.NotContain(id.ToString(), "ids are masked in logs");
        failed.Exception.Should().BeOfType<ArgumentException>();

        host.App.Lifetime.ApplicationStopping.IsCancellationRequested.Should().BeFalse("a bad owner string does not stop the host");
        string next = await host.InitializeAsync(user: "bob");
        using HttpResponseMessage served = await host.CallEchoAsync(next, "still here", user: "bob");
        served.StatusCode.Should().Be(HttpStatusCode.OK);

        // The releaser goes on: the next end is released in the MCP server as usual.
        using HttpResponseMessage deleted = await host.Client.SendAsync(host.Request(HttpMethod.Delete, next, "bob"));
        deleted.StatusCode.Should().Be(HttpStatusCode.OK);
        (await host.SdkClosedSessions.WaitForCloseAsync(next)).Should().BeTrue();
    }

    [Test]
    public async Task A_sweep_that_throws_OperationCanceledException_from_the_store_is_logged_and_the_next_sweep_runs()
    {
        var failures = new FailingSweeps(failures: 1, fault: () => new OperationCanceledException("The store gave up on the sweep."));
        await using TestHost host = await TestHost.StartAsync(
            o =>
            {
                o.IdleTimeout = Idle;
                o.SweepInterval = Sweep;
            },
            b => b.Services.AddSingleton<ISessionRegistry>(sp => failures.Wrap(new InMemorySessionRegistry(
                new LimpsSessionsOptions { IdleTimeout = Idle, SweepInterval = Sweep },
                sp.GetRequiredService<IClock>(),
                sp.GetRequiredService<IExpiryLedger>(),
                sp.GetServices<ISessionLifecycleObserver>()))),
            kestrel: true);
        string id = await host.InitializeAsync();
        host.Clock.Advance(Duration.FromTimeSpan(Idle));

        host.Time.Advance(Sweep);
        (await Eventually.TrueAsync(() => Task.FromResult(host.Logs.GetSnapshot().Any(r => r.Id.Name == "SweepFailed"))))
            .Should().BeTrue("the cancelled sweep is logged");
        host.Logs.GetSnapshot().First(r => r.Id.Name == "SweepFailed").Level.Should().Be(LogLevel.Error);
        host.App.Lifetime.ApplicationStopping.IsCancellationRequested.Should().BeFalse();

        host.Time.Advance(Sweep);
        (await Eventually.TrueAsync(async () => await host.Registry.CountAsync() == 0)).Should().BeTrue("the next sweep runs");
        failures.Calls.Should().Be(2);
        (await host.LookupAsync(id)).Expiry.Reason.Should().Be(ExpiryReason.Timeout);
        using HttpResponseMessage health = await host.Client.GetAsync("/health");
        health.StatusCode.Should().Be(HttpStatusCode.OK, "the host still serves");
    }
}
