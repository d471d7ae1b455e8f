using System.Collections.Concurrent;
using Limps.Sessions.AspNetCore;
using Limps.Sessions.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using NodaTime;
using NodaTime.Testing;

namespace Limps.Sessions.Mcp.Tests;

/// <summary>
/// Issue 12.5 (release queue): one MCP server DELETE that never returns delays no other release, and is given up on
/// (logged) once its bound has passed.
/// </summary>
[CancelAfter(30_000)]
public class ReleaseQueueTests
{
    [Test]
    public async Task A_hung_server_DELETE_does_not_hold_the_releases_after_it_and_times_out_logged()
    {
        var time = new FakeTimeProvider(TestHost.Start.ToDateTimeOffset());
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddFakeLogging());
        services.AddSingleton<IClock>(new FakeClock(TestHost.Start));
        services.AddSingleton<TimeProvider>(time);
        services.AddMcpServer().WithHttpTransport().WithLimpsSessions();
        services.AddLimpsSessions().ConfigureHttp(o => o.ReleaseDrainTimeout = TimeSpan.FromSeconds(3));
        await using ServiceProvider provider = services.BuildServiceProvider();

        var hung = SessionId.Parse("hung-session-0123456789abcdef");
        var released = new ConcurrentQueue<string>();
        var never = new TaskCompletionSource();
        foreach (ISessionServerReleaser releaser in provider.GetServices<ISessionServerReleaser>())
        {
            releaser.AddEndpoint("/mcp", context =>
            {
                string id = context.Request.Headers[SessionHeaders.SessionId].ToString();
                if (id == hung.ToString())
                {
                    return never.Task; // the MCP server never lets go of this one
                }

                released.Enqueue(id);
                return Task.CompletedTask;
            });
        }

        McpSessionReleaser background = provider.GetRequiredService<McpSessionReleaser>();
        await background.StartAsync(CancellationToken.None);
        try
        {
            ISessionRegistry registry = provider.GetRequiredService<ISessionRegistry>();
            await registry.CreateAsync(hung);
            SessionId[] others = [.. Enumerable.Range(0, 20).Select(_ => SessionId.New())];
            foreach (SessionId other in others)
            {
                await registry.CreateAsync(other);
            }

            await registry.EndAsync(hung, ExpiryReason.Deleted);
            foreach (SessionId other in others)
            {
                await registry.EndAsync(other, ExpiryReason.Deleted);
            }

            (await Eventually.TrueAsync(() => Task.FromResult(released.Count == others.Length)))
                .Should().BeTrue("the releases after the hung one go on without waiting for it");
            released.Should().BeEquivalentTo(others.Select(o => o.ToString()));

            FakeLogCollector logs = provider.GetFakeLogCollector();
            logs.GetSnapshot().Should().NotContain(r => r.Id.Name == "ReleaseTimedOut");
            time.Advance(TimeSpan.FromSeconds(3));
            (await Eventually.TrueAsync(() => Task.FromResult(logs.GetSnapshot().Any(r => r.Id.Name == "ReleaseTimedOut"))))
                .Should().BeTrue("the hung release is given up on after its bound");
            logs.GetSnapshot().First(r => r.Id.Name == "ReleaseTimedOut").Message.Should().Contain(hung.Masked).And.NotContain(hung.ToString());
        }
        finally
        {
            never.TrySetResult();
            await background.StopAsync(CancellationToken.None);
        }
    }
}
