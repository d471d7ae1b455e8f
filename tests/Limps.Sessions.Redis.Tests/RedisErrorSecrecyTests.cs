using Limps.Sessions.Redis.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using NodaTime.Testing;
using StackExchange.Redis;

namespace Limps.Sessions.Redis.Tests;

/// <summary>
/// StackExchange.Redis names the command and its key in its exception messages, and a key holds the full session id,
/// a bearer secret. With Redis really stopped (its process killed) and really slow (its replies held by a proxy), no
/// exception thrown by the public registry and ledger, and no log record of theirs, carries a full id. (With Redis
/// stopped, StackExchange.Redis 2.8 names the key in its messages; its timeout and broken-connection messages do not
/// today, and the slow case guards against a version that does.)
/// </summary>
[CancelAfter(90_000)]
public class RedisErrorSecrecyTests
{
    private FakeClock _clock = null!;
    private FakeLogCollector _logs = null!;
    private ILoggerFactory _loggerFactory = null!;

    [SetUp]
    public void SetUp()
    {
        _clock = new FakeClock(TestTime.Start);
        _logs = new FakeLogCollector();
        _loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(new FakeLoggerProvider(_logs)).SetMinimumLevel(LogLevel.Trace));
    }

    [TearDown]
    public void TearDown() => _loggerFactory.Dispose();

    [Test]
    public async Task With_Redis_killed_no_exception_or_log_carries_a_full_id()
    {
        await using RedisServerProcess server = await RedisServerProcess.StartAsync();
        await using ConnectionMultiplexer connection = RedisTestServer.Connect(server.Endpoint);
        var options = new LimpsSessionsOptions();
        var redisOptions = new RedisSessionStoreOptions { KeyPrefix = "s:", LeaseHolderTimeout = TimeSpan.FromSeconds(3) };
        using var registry = new RedisSessionRegistry(
            connection, options, redisOptions, _clock, logger: _loggerFactory.CreateLogger<RedisSessionRegistry>());
        var ledger = new RedisExpiryLedger(connection, options, redisOptions, _clock);
        SessionInfo live = await registry.CreateAsync(owner: "alice");
        SessionLease lease = await registry.BeginLeaseAsync(live.Id);
        SessionId fresh = SessionId.New();

        await server.StopAsync();

        var failures = new List<Exception>
        {
            await Failure(() => registry.LookupAsync(live.Id).AsTask()),
            await Failure(() => registry.TouchAsync(live.Id).AsTask()),
            await Failure(() => registry.BeginLeaseAsync(live.Id).AsTask()),
            await Failure(() => registry.EndAsync(live.Id, ExpiryReason.Deleted).AsTask()),
            await Failure(() => registry.CreateAsync(fresh).AsTask()),
            await Failure(() => registry.BeginLeaseForOwnerAsync(live.Id, "alice").AsTask()),
            await Failure(() => ledger.FindAsync(live.Id).AsTask()),
            await Failure(() => ledger.RecordAsync(new ExpiredSession(fresh, ExpiryReason.Closed, TestTime.Start, TestTime.Start)).AsTask()),
        };

        // Nobody waits for a release: its failure is logged (and the release kept for later) in the background.
        await lease.DisposeAsync();
        (await Eventually.TrueAsync(() => Task.FromResult(_logs.GetSnapshot().Any(r => r.Id.Name == "LeaseReleaseDeferred"))))
            .Should().BeTrue();
        await registry.BeatAsync();

        ShouldNotCarry(failures, live.Id, fresh);
        failures.Should().AllSatisfy(f => f.Message.Should().StartWith("The Redis session store is unavailable"));
        failures.Select(f => f.ToString()).Should().Contain(text => text.Contains(live.Id.Masked, StringComparison.Ordinal),
            "the masked id stays, so a failure can still be matched with its session");
    }

    [Test]
    public async Task With_Redis_too_slow_no_exception_or_log_carries_a_full_id()
    {
        await using DelayingRedisProxy proxy = DelayingRedisProxy.Start(RedisTestServer.Server.Endpoint);
        var configuration = ConfigurationOptions.Parse(proxy.Endpoint);
        configuration.AbortOnConnectFail = false;

        // StackExchange.Redis's own timeout fires first, so its message (command and key) is what comes back.
        configuration.AsyncTimeout = 200;
        configuration.HeartbeatInterval = TimeSpan.FromMilliseconds(50);
        await using ConnectionMultiplexer connection = await ConnectionMultiplexer.ConnectAsync(configuration);
        var options = new LimpsSessionsOptions();
        var redisOptions = new RedisSessionStoreOptions { KeyPrefix = RedisTestServer.NewPrefix(), OperationTimeout = TimeSpan.FromSeconds(20) };
        using var registry = new RedisSessionRegistry(
            connection, options, redisOptions, _clock, logger: _loggerFactory.CreateLogger<RedisSessionRegistry>());
        var ledger = new RedisExpiryLedger(connection, options, redisOptions, _clock);
        IServer admin = RedisTestServer.Connection.GetServer(RedisTestServer.Server.Endpoint);
        foreach ((string _, RedisScript script) in RedisScripts.All)
        {
            await admin.ScriptLoadAsync(script.Text);
        }

        SessionInfo live = await registry.CreateAsync(owner: "alice");
        SessionId fresh = SessionId.New();

        proxy.HoldReplies();
        var failures = new List<Exception>
        {
            await Failure(() => registry.TouchAsync(live.Id).AsTask()),
            await Failure(() => registry.BeginLeaseAsync(live.Id).AsTask()),
            await Failure(() => registry.CreateAsync(fresh).AsTask()),
            await Failure(() => ledger.FindAsync(live.Id).AsTask()),
        };

        // Still slow, and now the connection breaks under commands that wait for their answers.
        Task<Exception>[] waiting =
        [
            Failure(() => registry.TouchAsync(live.Id).AsTask()),
            Failure(() => registry.EndAsync(live.Id, ExpiryReason.Deleted).AsTask()),
            Failure(() => ledger.FindAsync(fresh).AsTask()),
        ];
        proxy.Disconnect();
        failures.AddRange(await Task.WhenAll(waiting));
        await registry.BeatAsync();
        proxy.ReleaseReplies();

        ShouldNotCarry(failures, live.Id, fresh);
        failures.Should().Contain(f => f.ToString().Contains("RedisTimeoutException", StringComparison.Ordinal),
            "the client library's own timeout is what was masked");
    }

    private static async Task<Exception> Failure(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (SessionStoreUnavailableException ex)
        {
            return ex;
        }

        throw new AssertionException("the call was expected to fail with SessionStoreUnavailableException");
    }

    private void ShouldNotCarry(IEnumerable<Exception> failures, params SessionId[] ids)
    {
        IReadOnlyList<FakeLogRecord> records = _logs.GetSnapshot();
        records.Should().NotBeEmpty("failures are logged");
        foreach (SessionId id in ids)
        {
            string full = id.ToString();
            foreach (Exception failure in failures)
            {
                failure.ToString().Should().NotContain(full, "an exception's message, inner exceptions and stack must not hold the id");
            }

            foreach (FakeLogRecord record in records)
            {
                record.Message.Should().NotContain(full);
                (record.Exception?.ToString() ?? string.Empty).Should().NotContain(full);
                record.StructuredState?.Select(pair => pair.Value ?? string.Empty).Should().NotContain(value => value.Contains(full, StringComparison.Ordinal));
            }
        }
    }
}
