using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Limps.Sessions.Redis.Tests.Handles;

/// <summary>
/// Handles registered the one way, <c>AddLimpsHandles&lt;TState&gt;(...)</c>, live in Redis when sessions do
/// (<c>UseRedis()</c>), whichever is called first.
/// </summary>
[CancelAfter(60_000)]
public class RedisHandleRegistrationTests
{
    [TestCase(true)]
    [TestCase(false)]
    public async Task A_kind_added_with_AddLimpsHandles_lives_in_Redis_with_settings_from_Limps_Handles_Kind(bool useRedisFirst)
    {
        string prefix = RedisTestServer.NewPrefix();
        await using WebApplication app = Build(
            [
                $"--Limps:Sessions:Redis:KeyPrefix={prefix}",
                "--Limps:Handles:Basket:IdleTimeout=01:00:00",
                "--Limps:Handles:Basket:MaxHandlesPerOwner=7",
            ],
            services =>
            {
                void Redis() => services.AddLimpsSessions().UseRedis(RedisTestServer.Connection);
                if (useRedisFirst)
                {
                    Redis();
                }

                services.AddLimpsHandles("basket", HandleJsonContext.Default.Basket, o =>
                {
                    o.Prefix = "bsk_";
                    o.CreateToolName = "create_basket";
                });
                if (!useRedisFirst)
                {
                    Redis();
                }
            });
        await app.StartAsync();

        IHandleStore<Basket> store = app.Services.GetRequiredService<IHandleStore<Basket>>();
        store.Should().BeOfType<RedisHandleStore<Basket>>();
        app.Services.GetRequiredKeyedService<IHandleStore<Basket>>("basket").Should().BeSameAs(store);
        app.Services.GetRequiredService<IHandleStoreFactory>().Should().BeOfType<RedisHandleStoreFactory>();
        store.Kind.Name.Should().Be("basket");
        store.Kind.IdleTimeout.Should().Be(TimeSpan.FromHours(1));
        store.Kind.MaxHandlesPerOwner.Should().Be(7);
        store.Kind.DurabilityPolicy.Should().Be("baskets expire after 1 h idle");
        string handle = await store.CreateAsync(Basket.Of("apple"), "user:alice");
        handle.Should().StartWith("bsk_");
        (await store.UseAsync(handle, "user:alice")).Items.Should().Equal("apple");
        (await RedisTestServer.Connection.GetDatabase().KeyExistsAsync(new RedisKeys(prefix + "h:basket:").Session(SessionId.Parse(handle))))
            .Should().BeTrue("the basket is kept under the sessions' key prefix, shared by every replica");
        await app.StopAsync();
    }

    [Test]
    public async Task A_kind_without_a_JsonTypeInfo_stops_start_up_with_a_message_saying_what_to_pass()
    {
        await using WebApplication app = Build([], services =>
        {
            services.AddLimpsSessions().UseRedis(RedisTestServer.Connection);
            services.AddLimpsHandles<Basket>("basket", o => o.Prefix = "bsk_");
        });

        (await FluentActions.Awaiting(() => app.StartAsync()).Should().ThrowAsync<InvalidOperationException>())
            .Which.Message.Should().ContainAll(
                "'basket'", "Redis", "JsonTypeInfo<Basket>", "AddLimpsHandles<Basket>(\"basket\", <JsonSerializerContext>.Default.Basket");
    }

    [Test]
    public async Task The_factory_builds_a_store_per_kind_over_one_connection_and_key_prefix()
    {
        string prefix = RedisTestServer.NewPrefix();
        var factory = new RedisHandleStoreFactory(RedisTestServer.Connection, new RedisSessionStoreOptions { KeyPrefix = prefix });

        IHandleStore<Basket> baskets = factory.Create(
            new HandleKindOptions { Name = "basket", Prefix = "bsk_" }, HandleJsonContext.Default.Basket);
        IHandleStore<Basket> carts = factory.Create(
            new HandleKindOptions { Name = "cart", Prefix = "crt_" }, HandleJsonContext.Default.Basket);
        string basket = await baskets.CreateAsync(Basket.Of("apple"));
        string cart = await carts.CreateAsync(Basket.Of("pear"));

        (await baskets.UseAsync(basket)).Items.Should().Equal("apple");
        (await carts.UseAsync(cart)).Items.Should().Equal("pear");
        (await FluentActions.Awaiting(() => baskets.UseAsync(cart).AsTask()).Should().ThrowAsync<HandleUnavailableException>())
            .Which.Code.Should().Be(HandleErrorCodes.Invalid, "another kind's handle is refused before Redis is asked");
        (await RedisTestServer.Connection.GetDatabase().KeyExistsAsync(new RedisKeys(prefix + "h:cart:").Session(SessionId.Parse(cart)))).Should().BeTrue();
        ((IDisposable)baskets).Dispose();
        ((IDisposable)carts).Dispose();
    }

    private static WebApplication Build(string[] args, Action<IServiceCollection> services)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        services(builder.Services);
        return builder.Build();
    }
}
