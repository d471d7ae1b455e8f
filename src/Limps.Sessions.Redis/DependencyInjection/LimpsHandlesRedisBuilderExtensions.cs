using System.Diagnostics.Metrics;
using System.Text.Json.Serialization.Metadata;
using Limps.Sessions;
using Limps.Sessions.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NodaTime;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Keeps a kind of state handle (design §8) in Redis, shared by every replica.</summary>
public static class LimpsHandlesRedisBuilderExtensions
{
    /// <summary>
    /// Keeps the handles of one kind in Redis (see <see cref="RedisHandleStore{TState}"/>): <see cref="IHandleStore{TState}"/>
    /// resolves to the Redis store, replacing an in-memory one registered before (and winning over one registered
    /// later with <c>TryAdd</c>). Sessions move to Redis too (as with <c>UseRedis()</c>), over the same connection and
    /// store options.
    /// </summary>
    /// <typeparam name="TState">The state kept per handle.</typeparam>
    /// <param name="builder">The builder <c>AddLimpsSessions</c> returned.</param>
    /// <param name="kind">The kind's name, for example <c>basket</c>; its settings bind from <c>Limps:Handles:&lt;Kind&gt;</c>
    /// (named options of <see cref="HandleKindOptions"/> under this name).</param>
    /// <param name="stateType">How the state is written as JSON, for example <c>MyJsonContext.Default.Basket</c>.</param>
    /// <param name="configure">Sets the kind's options in code (for example its prefix); runs after the section is bound.</param>
    /// <returns>The same builder.</returns>
    /// <example>
    /// <code>
    /// builder.Services.AddLimpsSessions()
    ///     .UseRedisHandles("basket", BasketJson.Default.Basket, o => { o.Prefix = "bsk_"; o.CreateToolName = "create_basket"; });
    /// </code>
    /// </example>
    public static ILimpsSessionsBuilder UseRedisHandles<TState>(
        this ILimpsSessionsBuilder builder,
        string kind,
        JsonTypeInfo<TState> stateType,
        Action<HandleKindOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        ArgumentNullException.ThrowIfNull(stateType);
        IServiceCollection services = builder.Services;
        builder.UseRedis();

        string section = new HandleKindOptions { Name = kind }.SectionName;
        services.AddOptions<HandleKindOptions>(kind).Configure<IServiceProvider>((options, sp) =>
        {
            if (sp.GetService<IConfiguration>() is { } configuration)
            {
                configuration.GetSection(section).Bind(options);
            }

            options.Name = kind;
            configure?.Invoke(options);
        });

        services.RemoveAll<RedisHandleStore<TState>>();
        services.AddSingleton(sp => new RedisHandleStore<TState>(
            sp.GetRequiredService<RedisConnectionProvider>().Connection,
            sp.GetRequiredService<IOptionsMonitor<HandleKindOptions>>().Get(kind),
            stateType,
            sp.GetRequiredService<IOptions<RedisSessionStoreOptions>>().Value,
            sp.GetService<IClock>(),
            observers: null,
            sp.GetService<ILoggerFactory>(),
            sp.GetService<IMeterFactory>()));
        services.RemoveAll<IHandleStore<TState>>();
        services.AddSingleton<IHandleStore<TState>>(sp => sp.GetRequiredService<RedisHandleStore<TState>>());
        return builder;
    }
}
