using Limps.Sessions.SampleHost;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SampleBasket = Limps.Sessions.SampleHost.Tools.Basket;

namespace Limps.Sessions.Redis.Tests;

/// <summary>The sample host keeps sessions and baskets in Redis exactly when <c>Limps:Sessions:Redis:Configuration</c> is set.</summary>
[CancelAfter(60_000)]
public class SampleHostOnRedisTests
{
    [Test]
    public async Task With_a_Redis_configuration_string_sessions_and_baskets_live_in_Redis()
    {
        string prefix = RedisTestServer.NewPrefix();
        await using WebApplication app = Build(
            $"--{SampleHostApp.RedisConfigurationKey}={RedisTestServer.Server.Endpoint}", $"--Limps:Sessions:Redis:KeyPrefix={prefix}");
        await app.StartAsync();

        app.Services.GetRequiredService<ISessionRegistry>().Should().BeOfType<RedisSessionRegistry>();
        IHandleStore<SampleBasket> baskets = app.Services.GetRequiredService<IHandleStore<SampleBasket>>();
        baskets.Should().BeOfType<RedisHandleStore<SampleBasket>>();
        string basket = await baskets.CreateAsync(SampleBasket.Empty, "user:alice");
        (await RedisTestServer.Connection.GetDatabase().KeyExistsAsync(new RedisKeys(prefix + "h:basket:").Session(SessionId.Parse(basket)))).Should().BeTrue();
        await app.StopAsync();
    }

    [Test]
    public async Task Without_one_they_stay_in_memory()
    {
        await using WebApplication app = Build();
        await app.StartAsync();

        app.Services.GetRequiredService<ISessionRegistry>().Should().BeOfType<InMemorySessionRegistry>();
        app.Services.GetRequiredService<IHandleStore<SampleBasket>>().Should().BeOfType<InMemoryHandleStore<SampleBasket>>();
        await app.StopAsync();
    }

    private static WebApplication Build(params string[] args) =>
        SampleHostApp.Create(args, builder =>
        {
            builder.WebHost.UseTestServer();
            builder.Logging.ClearProviders();
        });
}
