using Limps.Sessions.Redis.Tests.Infrastructure;
using Limps.Sessions.SampleHost;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore;
using StackExchange.Redis;

namespace Limps.Sessions.Redis.Tests;

/// <summary><c>AddLimpsSessions().UseRedis(...)</c>: what it registers, where its options come from, how it fails.</summary>
[CancelAfter(60_000)]
public class RedisRegistrationTests
{
    [Test]
    public async Task UseRedis_swaps_in_the_Redis_registry_and_ledger_and_keeps_sessions_across_restarts()
    {
        await using WebApplication app = Build([], s => s.AddLimpsSessions().UseRedis(RedisTestServer.Connection));
        await app.StartAsync();

        app.Services.GetRequiredService<ISessionRegistry>().Should().BeOfType<RedisSessionRegistry>();
        app.Services.GetRequiredService<IExpiryLedger>().Should().BeOfType<RedisExpiryLedger>();
        app.Services.GetRequiredService<ISessionRegistry>().Should().BeSameAs(app.Services.GetRequiredService<RedisSessionRegistry>());
        IHostedService[] hosted = [.. app.Services.GetServices<IHostedService>()];
        hosted.Should().ContainSingle(s => s.GetType().Name == "SessionSweeper");
        hosted.Should().ContainSingle(s => s is RedisEndAnnouncements);
        app.Services.GetRequiredService<IOptions<LimpsSessionsOptions>>().Value.CloseSessionsOnShutdown
            .Should().BeFalse("closing on shutdown would close every replica's sessions on each restart");
        app.Services.GetRequiredService<ISessionMigrationHandler>().GetType().Assembly.GetName().Name
            .Should().Be("Limps.Sessions.Mcp", "the sample host's MCP integration migrates sessions over any shared registry");
        await app.StopAsync();
    }

    [Test]
    public async Task Store_options_bind_from_Limps_Sessions_Redis_and_the_connection_string_opens_its_own_connection()
    {
        string prefix = RedisTestServer.NewPrefix();
        await using WebApplication app = Build(
            [$"--Limps:Sessions:Redis:KeyPrefix={prefix}", "--Limps:Sessions:Redis:Grace=00:20:00", "--Limps:Sessions:Redis:ShardCount=8"],
            s => s.AddLimpsSessions().UseRedis(RedisTestServer.Server.Endpoint));
        await app.StartAsync();

        RedisSessionStoreOptions options = app.Services.GetRequiredService<IOptions<RedisSessionStoreOptions>>().Value;
        options.KeyPrefix.Should().Be(prefix);
        options.Grace.Should().Be(TimeSpan.FromMinutes(20));
        options.ShardCount.Should().Be(8);
        options.Configuration.Should().Be(RedisTestServer.Server.Endpoint);
        SessionInfo info = await app.Services.GetRequiredService<ISessionRegistry>().CreateAsync();
        (await RedisTestServer.Connection.GetDatabase().KeyExistsAsync(new RedisKeys(prefix, 8).Session(info.Id))).Should().BeTrue();
        await app.StopAsync();
    }

    [Test]
    public async Task Without_arguments_UseRedis_uses_the_connection_registered_in_the_container()
    {
        string prefix = RedisTestServer.NewPrefix();
        await using WebApplication app = Build([], s =>
        {
            s.AddSingleton<IConnectionMultiplexer>(RedisTestServer.Connection);
            s.AddLimpsSessions().UseRedis().ConfigureRedis(o => o.KeyPrefix = prefix);
        });
        await app.StartAsync();

        SessionInfo info = await app.Services.GetRequiredService<ISessionRegistry>().CreateAsync();

        (await RedisTestServer.Connection.GetDatabase().KeyExistsAsync(new RedisKeys(prefix).Session(info.Id))).Should().BeTrue();
        await app.StopAsync();
    }

    [TestCase("--Limps:Sessions:Redis:KeyPrefix=a{b", "Limps:Sessions:Redis:KeyPrefix")]
    [TestCase("--Limps:Sessions:Redis:Grace=00:00:00", "Limps:Sessions:Redis:Grace")]
    [TestCase("--Limps:Sessions:Redis:SweepBatchSize=0", "Limps:Sessions:Redis:SweepBatchSize")]
    [TestCase("--Limps:Sessions:Redis:ShardCount=0", "Limps:Sessions:Redis:ShardCount")]
    [TestCase("--Limps:Sessions:Redis:ShardCount=1025", "Limps:Sessions:Redis:ShardCount")]
    [TestCase("--Limps:Sessions:Redis:TouchWriteTolerance=00:00:59", "Limps:Sessions:Redis:TouchWriteTolerance")]
    public async Task A_bad_store_option_stops_start_up_with_a_message_that_names_its_key(string argument, string key)
    {
        string[] args = argument.Contains("TouchWriteTolerance", StringComparison.Ordinal)
            ? [argument, "--Limps:Sessions:Redis:Grace=00:00:30"]
            : [argument];
        await using WebApplication app = Build(args, s => s.AddLimpsSessions().UseRedis(RedisTestServer.Connection));

        (await FluentActions.Awaiting(() => app.StartAsync()).Should().ThrowAsync<OptionsValidationException>())
            .Which.Message.Should().Contain(key);
    }

    [Test]
    public async Task Without_any_connection_start_up_fails_and_says_which_setting_is_missing()
    {
        await using WebApplication app = Build([], s => s.AddLimpsSessions().UseRedis());

        (await FluentActions.Awaiting(() => app.StartAsync()).Should().ThrowAsync<InvalidOperationException>())
            .Which.Message.Should().Contain("Limps:Sessions:Redis:Configuration");
    }

    [Test]
    public void The_options_validator_rejects_bad_values_directly_too()
    {
        FluentActions.Invoking(() => new RedisSessionRegistry(
                RedisTestServer.Connection,
                new LimpsSessionsOptions(),
                new RedisSessionStoreOptions { KeyPrefix = string.Empty },
                NodaTime.SystemClock.Instance))
            .Should().Throw<OptionsValidationException>().Which.Message.Should().Contain("KeyPrefix");
        FluentActions.Invoking(() => new RedisExpiryLedger(
                RedisTestServer.Connection,
                new LimpsSessionsOptions { MaxLedgerEntries = 0 },
                new RedisSessionStoreOptions(),
                NodaTime.SystemClock.Instance))
            .Should().Throw<OptionsValidationException>().Which.Message.Should().Contain("MaxLedgerEntries");
    }

    private static WebApplication Build(string[] args, Action<IServiceCollection> services) =>
        SampleHostApp.Create(args, builder =>
        {
            builder.WebHost.UseTestServer();
            builder.Logging.ClearProviders();
            services(builder.Services);
        });
}
