using System.Diagnostics.Metrics;
using Limps.Sessions;
using Limps.Sessions.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NodaTime;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Switches Limps.Sessions to the shared Redis registry and ledger.</summary>
public static class LimpsSessionsRedisBuilderExtensions
{
    /// <summary>
    /// Keeps sessions and tombstones, and the handles of every kind added with <c>AddLimpsHandles</c> (see
    /// <see cref="RedisHandleStoreFactory"/>), in Redis, shared by every replica that uses the same Redis and key prefix,
    /// connecting with a StackExchange.Redis configuration string. Store options bind from <c>Limps:Sessions:Redis</c>
    /// and can be set in code with <see cref="ConfigureRedis"/>.
    /// </summary>
    /// <param name="builder">The builder <c>AddLimpsSessions</c> returned.</param>
    /// <param name="configuration">The StackExchange.Redis configuration string, for example <c>redis:6379</c>.</param>
    /// <returns>The same builder.</returns>
    /// <example>
    /// <code>
    /// builder.Services.AddLimpsSessions().UseRedis("redis:6379");
    /// </code>
    /// </example>
    public static ILimpsSessionsBuilder UseRedis(this ILimpsSessionsBuilder builder, string configuration)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(configuration);
        return Register(builder, given: null, o => o.Configuration = configuration);
    }

    /// <summary>
    /// Keeps sessions and tombstones in Redis, shared by every replica that uses the same Redis and key prefix, over a
    /// connection the application already has (Limps does not dispose it).
    /// </summary>
    /// <param name="builder">The builder <c>AddLimpsSessions</c> returned.</param>
    /// <param name="connection">The connection to use.</param>
    /// <returns>The same builder.</returns>
    public static ILimpsSessionsBuilder UseRedis(this ILimpsSessionsBuilder builder, IConnectionMultiplexer connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return Register(builder, connection, configure: null);
    }

    /// <summary>
    /// Keeps sessions and tombstones in Redis, shared by every replica that uses the same Redis and key prefix, over
    /// the <see cref="IConnectionMultiplexer"/> registered in the container or, without one, a connection opened from
    /// <c>Limps:Sessions:Redis:Configuration</c>.
    /// </summary>
    /// <param name="builder">The builder <c>AddLimpsSessions</c> returned.</param>
    /// <returns>The same builder.</returns>
    public static ILimpsSessionsBuilder UseRedis(this ILimpsSessionsBuilder builder) =>
        Register(builder, given: null, configure: null);

    /// <summary>
    /// Keeps sessions and tombstones in Redis (see <see cref="UseRedis(ILimpsSessionsBuilder)"/>) with store options set
    /// in code, for example the connection string and the key prefix.
    /// </summary>
    /// <param name="builder">The builder <c>AddLimpsSessions</c> returned.</param>
    /// <param name="configure">Sets store options; runs after the <c>Limps:Sessions:Redis</c> section is bound.</param>
    /// <returns>The same builder.</returns>
    public static ILimpsSessionsBuilder UseRedis(this ILimpsSessionsBuilder builder, Action<RedisSessionStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return Register(builder, given: null, configure);
    }

    /// <summary>Sets Redis store options in code; runs after the <c>Limps:Sessions:Redis</c> section is bound.</summary>
    /// <param name="builder">The builder <c>AddLimpsSessions</c> returned.</param>
    /// <param name="configure">Sets store options.</param>
    /// <returns>The same builder.</returns>
    public static ILimpsSessionsBuilder ConfigureRedis(this ILimpsSessionsBuilder builder, Action<RedisSessionStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
        return builder;
    }

    private static ILimpsSessionsBuilder Register(
        ILimpsSessionsBuilder builder,
        IConnectionMultiplexer? given,
        Action<RedisSessionStoreOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        IServiceCollection services = builder.Services;
        if (configure is not null)
        {
            services.Configure(configure);
        }

        if (services.Any(d => d.ServiceType == typeof(RedisMarker)))
        {
            // Called again: the connection given last wins; everything else is in place.
            if (given is not null)
            {
                services.Replace(ServiceDescriptor.Singleton(sp => new RedisConnectionProvider(
                    sp, sp.GetRequiredService<IOptions<RedisSessionStoreOptions>>(), given)));
            }

            return builder;
        }

        services.AddSingleton<RedisMarker>();
        services.AddOptionsWithValidateOnStart<RedisSessionStoreOptions, RedisSessionStoreOptionsValidator>();
        services.AddSingleton<IConfigureOptions<RedisSessionStoreOptions>, BindRedisSection>();
        services.AddSingleton(sp => new RedisConnectionProvider(
            sp, sp.GetRequiredService<IOptions<RedisSessionStoreOptions>>(), given));

        services.AddSingleton(sp => new RedisSessionRegistry(
            sp.GetRequiredService<RedisConnectionProvider>().Connection,
            sp.GetRequiredService<IOptions<LimpsSessionsOptions>>().Value,
            sp.GetRequiredService<IOptions<RedisSessionStoreOptions>>().Value,
            sp.GetRequiredService<IClock>(),
            sp.GetServices<ISessionLifecycleObserver>(),
            sp.GetService<ILogger<RedisSessionRegistry>>(),
            sp.GetService<IMeterFactory>()));
        services.AddSingleton(sp => new RedisExpiryLedger(
            sp.GetRequiredService<RedisConnectionProvider>().Connection,
            sp.GetRequiredService<IOptions<LimpsSessionsOptions>>().Value,
            sp.GetRequiredService<IOptions<RedisSessionStoreOptions>>().Value,
            sp.GetRequiredService<IClock>()));
        services.RemoveAll<ISessionRegistry>();
        services.RemoveAll<IExpiryLedger>();
        services.AddSingleton<ISessionRegistry>(sp => sp.GetRequiredService<RedisSessionRegistry>());
        services.AddSingleton<IExpiryLedger>(sp => sp.GetRequiredService<RedisExpiryLedger>());

        // Handles live where sessions do: every kind added with AddLimpsHandles, before or after this call, gets its
        // store from this factory (over the same connection and store options) instead of the in-memory one.
        services.RemoveAll<IHandleStoreFactory>();
        services.AddSingleton<IHandleStoreFactory>(sp => new RedisHandleStoreFactory(
            () => sp.GetRequiredService<RedisConnectionProvider>().Connection,
            sp.GetRequiredService<IOptions<RedisSessionStoreOptions>>().Value,
            sp.GetService<IClock>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetService<IMeterFactory>()));

        // A shared store outlives any one replica: a rolling restart must not close every replica's sessions.
        services.Configure<LimpsSessionsOptions>(o => o.CloseSessionsOnShutdown = false);

        services.AddHostedService<RedisEndAnnouncements>();
        services.AddHostedService<RedisClusterCheck>();
        return builder;
    }

    private sealed class RedisMarker;

    private sealed class BindRedisSection(IServiceProvider services) : IConfigureOptions<RedisSessionStoreOptions>
    {
        public void Configure(RedisSessionStoreOptions options)
        {
            if (services.GetService(typeof(IConfiguration)) is IConfiguration configuration)
            {
                configuration.GetSection(RedisSessionStoreOptions.SectionName).Bind(options);
            }
        }
    }
}
