using System.Diagnostics.Metrics;
using Limps.Sessions;
using Limps.Sessions.AspNetCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NodaTime;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Limps.Sessions in an ASP.NET Core host.</summary>
public static class LimpsSessionsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the session registry, the expiry ledger, the endpoint check and the background sweeper (the release of
    /// the MCP server's own session state comes with <c>WithLimpsSessions()</c> on the MCP server builder, in
    /// Limps.Sessions.Mcp). Options bind from the host's <c>Limps:Sessions</c> section and are
    /// validated at start-up. Calling it again adds nothing; an <see cref="IClock"/>,
    /// <see cref="ISessionRegistry"/> or <see cref="IExpiryLedger"/> registered before is kept.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <returns>A builder for further configuration.</returns>
    /// <example>
    /// <code>
    /// builder.Services.AddLimpsSessions();
    /// app.MapMcp("/mcp").WithLimpsSessions();
    /// </code>
    /// </example>
    public static ILimpsSessionsBuilder AddLimpsSessions(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = new LimpsSessionsBuilder(services);
        if (services.Any(d => d.ServiceType == typeof(LimpsSessionsMarker)))
        {
            return builder;
        }

        services.AddSingleton<LimpsSessionsMarker>();

        services.AddOptionsWithValidateOnStart<LimpsSessionsOptions, ValidateLimpsSessionsOptions>();
        services.AddOptionsWithValidateOnStart<LimpsSessionsHttpOptions, LimpsSessionsHttpOptionsValidator>();
        services.AddSingleton<IConfigureOptions<LimpsSessionsOptions>, BindFromHostConfiguration<LimpsSessionsOptions>>();
        services.AddSingleton<IConfigureOptions<LimpsSessionsHttpOptions>, BindFromHostConfiguration<LimpsSessionsHttpOptions>>();

        services.TryAddSingleton<IClock>(SystemClock.Instance);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IExpiryLedger>(sp => new InMemoryExpiryLedger(
            sp.GetRequiredService<IOptions<LimpsSessionsOptions>>().Value,
            sp.GetRequiredService<IClock>()));
        services.TryAddSingleton<ISessionRegistry>(sp => new InMemorySessionRegistry(
            sp.GetRequiredService<IOptions<LimpsSessionsOptions>>().Value,
            sp.GetRequiredService<IClock>(),
            sp.GetRequiredService<IExpiryLedger>(),
            sp.GetServices<ISessionLifecycleObserver>(),
            sp.GetService<ILogger<InMemorySessionRegistry>>(),
            sp.GetService<IMeterFactory>()));

        services.AddHostedService<SessionSweeper>();
        services.AddHostedService<StartupCheck>();
        services.AddSingleton<SessionErrorWriter>();
        services.AddSingleton(sp => new SessionRequestDrain(
            sp.GetRequiredService<IOptions<LimpsSessionsHttpOptions>>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<SessionGate>();
        return builder;
    }

    /// <summary>Adds Limps.Sessions (see <see cref="AddLimpsSessions(IServiceCollection)"/>) and configures its options in code.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets options; runs after the <c>Limps:Sessions</c> configuration section is bound.</param>
    /// <returns>A builder for further configuration.</returns>
    public static ILimpsSessionsBuilder AddLimpsSessions(this IServiceCollection services, Action<LimpsSessionsOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ILimpsSessionsBuilder builder = services.AddLimpsSessions();
        services.Configure(configure);
        return builder;
    }

    /// <summary>Adds Limps.Sessions (see <see cref="AddLimpsSessions(IServiceCollection)"/>) with options bound from a configuration section.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The section holding the options, for example <c>builder.Configuration.GetSection("Limps:Sessions")</c>.</param>
    /// <returns>A builder for further configuration.</returns>
    public static ILimpsSessionsBuilder AddLimpsSessions(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ILimpsSessionsBuilder builder = services.AddLimpsSessions();
        services.Configure<LimpsSessionsOptions>(options =>
        {
            // A section given for Limps holds Limps's settings only (a whole configuration root is not checked).
            if (configuration is IConfigurationSection section)
            {
                KnownConfigurationKeys.ThrowIfUnknown(section, section.Path);
            }

            configuration.Bind(options);
        });
        services.Configure<LimpsSessionsHttpOptions>(configuration);
        return builder;
    }

    /// <summary>Configures how the HTTP adapter answers (error envelope, descriptions, <c>Retry-After</c>).</summary>
    /// <param name="builder">The Limps.Sessions builder.</param>
    /// <param name="configure">Sets the HTTP options.</param>
    /// <returns>The same builder.</returns>
    public static ILimpsSessionsBuilder ConfigureHttp(this ILimpsSessionsBuilder builder, Action<LimpsSessionsHttpOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
        return builder;
    }

    private sealed class LimpsSessionsMarker;
}
