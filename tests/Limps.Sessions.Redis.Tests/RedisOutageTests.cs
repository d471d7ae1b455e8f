using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Limps.Sessions.Redis.Tests.Infrastructure;
using NodaTime.Testing;
using StackExchange.Redis;

namespace Limps.Sessions.Redis.Tests;

/// <summary>
/// Redis stopped in the middle of a run, then started again: calls fail fast with
/// <see cref="SessionStoreUnavailableException"/> (HTTP 503, never a 404 that would make clients drop a live session),
/// nothing is corrupted, and service resumes by itself. Each test has a redis-server of its own, which saves its data
/// before it is stopped so the restarted one has the sessions back.
/// </summary>
[CancelAfter(90_000)]
public class RedisOutageTests
{
    private RedisServerProcess _server = null!;
    private ConnectionMultiplexer _connection = null!;
    private FakeClock _clock = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _server = await RedisServerProcess.StartAsync();
        _connection = RedisTestServer.Connect(_server.Endpoint);
        _clock = new FakeClock(TestTime.Start);
    }

    [TearDown]
    public async Task StopAsync()
    {
        await _connection.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Test]
    public async Task While_Redis_is_down_every_call_fails_fast_as_unavailable_and_afterwards_all_is_as_before()
    {
        var options = new LimpsSessionsOptions();
        var redisOptions = new RedisSessionStoreOptions { KeyPrefix = "o:", LeaseHolderTimeout = TimeSpan.FromSeconds(3) };
        using var registry = new RedisSessionRegistry(_connection, options, redisOptions, _clock);
        var ledger = new RedisExpiryLedger(_connection, options, redisOptions, _clock);
        SessionInfo live = await registry.CreateAsync(owner: "alice");
        SessionInfo ended = await registry.CreateAsync();
        await registry.EndAsync(ended.Id, ExpiryReason.Deleted);
        SessionLease lease = await registry.BeginLeaseAsync(live.Id);
        await SaveAndStopAsync();

        var elapsed = Stopwatch.StartNew();
        await ShouldBeUnavailable(() => registry.LookupAsync(live.Id).AsTask());
        await ShouldBeUnavailable(() => registry.TouchAsync(live.Id).AsTask());
        await ShouldBeUnavailable(() => registry.BeginLeaseAsync(live.Id).AsTask());
        await ShouldBeUnavailable(() => registry.CreateAsync().AsTask());
        await ShouldBeUnavailable(() => registry.EndAsync(live.Id, ExpiryReason.Closed).AsTask());
        await ShouldBeUnavailable(() => registry.SweepAsync().AsTask());
        await ShouldBeUnavailable(() => registry.CountAsync().AsTask());
        await ShouldBeUnavailable(() => registry.EndAllAsync(ExpiryReason.Closed).AsTask());
        await ShouldBeUnavailable(() => ledger.FindAsync(ended.Id).AsTask());
        await lease.DisposeAsync(); // Nobody waits for a release: it is kept and retried once Redis is back.
        elapsed.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(20), "each call fails within the operation timeout");

        await _server.RestartAsync();

        (await Eventually.TrueAsync(async () => await Answers(() => registry.LookupAsync(live.Id).AsTask()), TimeSpan.FromSeconds(30)))
            .Should().BeTrue("the connection comes back by itself");
        SessionInfo after = (await registry.LookupAsync(live.Id)).Session;
        after.Owner.Should().Be("alice");
        (await registry.LookupAsync(ended.Id)).Expiry.Reason.Should().Be(ExpiryReason.Deleted);
        (await Eventually.TrueAsync(async () => (long)await _connection.GetDatabase().HashGetAsync(new RedisKeys("o:").Session(live.Id), "n") == 0))
            .Should().BeTrue("the release Redis missed is retried by the heartbeat once it is back");
        registry.LocalLeases.Should().Be(0);
        _clock.Advance(TestTime.Minutes(30));
        (await registry.SweepAsync()).Should().Be(1, "the session idles out normally once its lease is released");
        (await registry.CreateAsync()).Id.IsEmpty.Should().BeFalse();
    }

    [Test]
    public async Task Http_requests_get_503_while_Redis_is_down_and_the_same_session_works_again_after()
    {
        await using ReplicaHost host = await ReplicaHost.StartAsync(_connection, "h:", _clock);
        string id = await host.InitializeAsync();
        await SaveAndStopAsync();

        using (HttpResponseMessage down = await host.CallEchoAsync(id))
        {
            down.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, "not 404: the client must keep its session id");
            down.Headers.RetryAfter.Should().NotBeNull();
            JsonElement body = JsonDocument.Parse(await down.Content.ReadAsStringAsync()).RootElement;
            body.GetProperty("code").GetString().Should().Be("SESSION_STORE_UNAVAILABLE");
        }

        using (HttpResponseMessage initialize = await host.Client.SendAsync(host.Request(HttpMethod.Post, body: ReplicaHost.JsonRpc("initialize", 1, new
               {
                   protocolVersion = ReplicaHost.ProtocolVersion,
                   capabilities = new { },
                   clientInfo = new { name = "t", version = "1" },
               }))))
        {
            initialize.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        }

        using (HttpResponseMessage delete = await host.DeleteAsync(id))
        {
            delete.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        }

        await _server.RestartAsync();

        (await Eventually.TrueAsync(
                async () =>
                {
                    using HttpResponseMessage response = await host.CallEchoAsync(id);
                    return response.StatusCode == HttpStatusCode.OK;
                },
                TimeSpan.FromSeconds(30)))
            .Should().BeTrue("the session survived the outage and the replica reconnects by itself");
    }

    private static async Task ShouldBeUnavailable(Func<Task> call) =>
        (await FluentActions.Awaiting(call).Should().ThrowAsync<SessionStoreUnavailableException>())
        .Which.InnerException.Should().NotBeNull();

    private static async Task<bool> Answers(Func<Task> call)
    {
        try
        {
            await call();
            return true;
        }
        catch (SessionStoreUnavailableException)
        {
            return false;
        }
    }

    private async Task SaveAndStopAsync()
    {
        using ConnectionMultiplexer admin = await ConnectionMultiplexer.ConnectAsync($"{_server.Endpoint},allowAdmin=true");
        await admin.GetServer(_server.Endpoint).ExecuteAsync("SAVE");
        await _server.StopAsync();
    }
}
