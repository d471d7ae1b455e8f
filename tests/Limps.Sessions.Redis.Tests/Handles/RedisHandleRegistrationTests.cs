using Limps.Sessions.Tests.Handles.Contract;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Limps.Sessions.Redis.Tests.Handles;

/// <summary><c>AddLimpsSessions().UseRedisHandles(...)</c>: what it registers and where the kind's settings come from.</summary>
[CancelAfter(60_000)]
public class RedisHandleRegistrationTests
{
    [Test]
    public async Task UseRedisHandles_resolves_the_kinds_store_to_Redis_with_settings_from_Limps_Handles_Kind()
    {
        string prefix = RedisTestServer.NewPrefix();
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Limps:Sessions:Redis:KeyPrefix"] = prefix,
                ["Limps:Handles:Basket:IdleTimeout"] = "01:00:00",
                ["Limps:Handles:Basket:MaxHandlesPerOwner"] = "7",
            })
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton(configuration);
        services.AddSingleton<IConnectionMultiplexer>(RedisTestServer.Connection);
        services.AddLimpsSessions()
            .UseRedisHandles("basket", HandleJsonContext.Default.Basket, o =>
            {
                o.Prefix = "bsk_";
                o.CreateToolName = "create_basket";
            });
        await using ServiceProvider provider = services.BuildServiceProvider();

        IHandleStore<Basket> store = provider.GetRequiredService<IHandleStore<Basket>>();

        store.Should().BeOfType<RedisHandleStore<Basket>>();
        store.Should().BeSameAs(provider.GetRequiredService<RedisHandleStore<Basket>>());
        provider.GetRequiredService<ISessionRegistry>().Should().BeOfType<RedisSessionRegistry>("handles on Redis bring sessions there too");
        store.Kind.Name.Should().Be("basket");
        store.Kind.IdleTimeout.Should().Be(TimeSpan.FromHours(1));
        store.Kind.MaxHandlesPerOwner.Should().Be(7);
        store.Kind.DurabilityPolicy.Should().Be("baskets expire after 1 h idle");
        string handle = await store.CreateAsync(Basket.Of("apple"), "user:alice");
        handle.Should().StartWith("bsk_");
        (await store.UseAsync(handle, "user:alice")).Items.Should().Equal("apple");
        (await RedisTestServer.Connection.GetDatabase().KeyExistsAsync($"{prefix}h:basket:{{{handle}}}:s")).Should().BeTrue();
    }
}
