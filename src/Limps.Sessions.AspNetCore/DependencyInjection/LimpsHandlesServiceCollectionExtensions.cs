using System.Diagnostics.Metrics;
using System.Text.Json.Serialization.Metadata;
using Limps.Sessions;
using Limps.Sessions.AspNetCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NodaTime;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers kinds of state handles (design §8): ids for application state that tools return and take.</summary>
public static class LimpsHandlesServiceCollectionExtensions
{
    /// <summary>
    /// Registers a kind of handle with its own settings and store. The settings bind from the host's
    /// <c>Limps:Handles:&lt;Kind&gt;</c> section (for example <c>Limps:Handles:Basket:IdleTimeout</c>), then
    /// <paramref name="configure"/> runs, and they are validated when the host starts (a bad value stops start-up
    /// with a message naming its key). Tools take the store as <see cref="IHandleStore{TState}"/> (the first kind
    /// registered for a state type) or as a keyed service under the kind's name. A background service sweeps each
    /// kind on its <see cref="HandleKindOptions.SweepInterval"/>.
    /// </summary>
    /// <typeparam name="TState">The application's state kept per handle; keep it immutable and update it with <see cref="IHandleStore{TState}.UpdateAsync"/>.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="kind">The kind's name, as the model sees it: <c>[a-z][a-z0-9_]{0,31}</c>, for example <c>basket</c>.</param>
    /// <param name="configure">Sets the kind's settings in code (prefix, creating tool); runs after configuration is bound.</param>
    /// <returns>The same services.</returns>
    /// <remarks>
    /// The store comes from the registered <see cref="IHandleStoreFactory"/>: <see cref="InMemoryHandleStoreFactory"/>
    /// unless another was registered (a shared store registers its own factory, before or after this call). A store
    /// registered for the kind by another package, before or after this call, wins: keyed under the kind's name, or
    /// as <see cref="IHandleStore{TState}"/> without a key for the first kind of a state type.
    /// Registering the same kind again adds only its configuration; registering it with another state type throws.
    /// </remarks>
    /// <example>
    /// <code>
    /// builder.Services.AddLimpsHandles&lt;Basket&gt;("basket", o => { o.Prefix = "bsk_"; o.CreateToolName = "create_basket"; });
    /// </code>
    /// </example>
    /// <exception cref="InvalidOperationException">The kind is already registered with another state type.</exception>
    public static IServiceCollection AddLimpsHandles<TState>(
        this IServiceCollection services, string kind, Action<HandleKindOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddLimpsHandles<TState>(kind, stateTypeInfo: null, configure);
    }

    /// <summary>
    /// Registers a kind of handle (see <see cref="AddLimpsHandles{TState}(IServiceCollection, string, Action{HandleKindOptions})"/>)
    /// with its settings from the host's <c>Limps:Handles:&lt;Kind&gt;</c> section alone.
    /// </summary>
    /// <typeparam name="TState">The application's state kept per handle.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="kind">The kind's name, for example <c>basket</c>.</param>
    /// <returns>The same services.</returns>
    /// <exception cref="InvalidOperationException">The kind is already registered with another state type.</exception>
    public static IServiceCollection AddLimpsHandles<TState>(this IServiceCollection services, string kind) =>
        services.AddLimpsHandles<TState>(kind, stateTypeInfo: null, configure: null);

    /// <summary>
    /// Registers a kind of handle (see <see cref="AddLimpsHandles{TState}(IServiceCollection, string, Action{HandleKindOptions})"/>)
    /// with the JSON contract of its state, which a store that keeps states outside process memory (for example on
    /// Redis) needs; pass a source-generated one in trimmed or native AOT hosts.
    /// </summary>
    /// <typeparam name="TState">The application's state kept per handle.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="kind">The kind's name, for example <c>basket</c>.</param>
    /// <param name="stateTypeInfo">The state's JSON contract, or <see langword="null"/> when only in-memory stores are used.</param>
    /// <param name="configure">Sets the kind's settings in code; runs after configuration is bound.</param>
    /// <returns>The same services.</returns>
    /// <exception cref="InvalidOperationException">The kind is already registered with another state type.</exception>
    public static IServiceCollection AddLimpsHandles<TState>(
        this IServiceCollection services,
        string kind,
        JsonTypeInfo<TState>? stateTypeInfo,
        Action<HandleKindOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(kind);

        HandleKindRegistration<TState> registration = Register<TState>(services, kind);
        if (stateTypeInfo is not null)
        {
            registration.StateTypeInfo = stateTypeInfo;
        }

        if (configure is not null)
        {
            services.Configure(kind, configure);
        }

        return services;
    }

    /// <summary>
    /// Registers a kind of handle (see <see cref="AddLimpsHandles{TState}(IServiceCollection, string, Action{HandleKindOptions})"/>)
    /// with its settings bound from a configuration section, after the host's <c>Limps:Handles:&lt;Kind&gt;</c> section.
    /// </summary>
    /// <typeparam name="TState">The application's state kept per handle.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="kind">The kind's name, for example <c>basket</c>.</param>
    /// <param name="configuration">The section holding the kind's settings.</param>
    /// <returns>The same services.</returns>
    /// <exception cref="InvalidOperationException">The kind is already registered with another state type.</exception>
    public static IServiceCollection AddLimpsHandles<TState>(this IServiceCollection services, string kind, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddLimpsHandles<TState>(kind, stateTypeInfo: null, configure: null);
        services.Configure<HandleKindOptions>(kind, configuration);
        return services;
    }

    private static HandleKindRegistration<TState> Register<TState>(IServiceCollection services, string kind)
    {
        HandleKindRegistration? existing = services
            .Where(d => d.ServiceType == typeof(HandleKindRegistration) && !d.IsKeyedService)
            .Select(d => d.ImplementationInstance as HandleKindRegistration)
            .FirstOrDefault(r => r is not null && string.Equals(r.Name, kind, StringComparison.Ordinal));
        if (existing is HandleKindRegistration<TState> same)
        {
            return same;
        }

        if (existing is not null)
        {
            throw new InvalidOperationException(
                $"The handle kind '{kind}' is already registered with state type {existing.StateType.FullName}; a kind has one state type.");
        }

        // The first kind of a state type is the one IHandleStore<TState> without a key stands for.
        bool firstOfType = !services.Any(d => d.ServiceType == typeof(HandleKindRegistration)
            && d.ImplementationInstance is HandleKindRegistration r && r.StateType == typeof(TState));
        var registration = new HandleKindRegistration<TState>(kind, firstOfType);
        services.AddSingleton<HandleKindRegistration>(registration);

        // The kind's settings: its name, then the host's configuration section, then the code's configure (added by
        // the caller), then validation at start-up.
        services.AddOptions<HandleKindOptions>(kind).ValidateOnStart();
        services.Configure<HandleKindOptions>(kind, o => o.Name = kind);
        string section = new HandleKindOptions { Name = kind }.SectionName;
        services.AddSingleton<IConfigureOptions<HandleKindOptions>>(sp => new ConfigureNamedOptions<HandleKindOptions>(kind, o =>
        {
            if (sp.GetService<IConfiguration>() is { } configuration)
            {
                configuration.GetSection(section).Bind(o);
            }
        }));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HandleKindOptions>, ValidateHandleKindOptions>());

        // The store: from the one factory (in memory unless another is registered). A store another package registers
        // for the kind, before or after this call (keyed under the kind, or without a key for the first kind of a
        // state type, as a store package's own registration does), is the one tool code, the sweeper and the health
        // check all get: the keyed and the unkeyed registration stand for the same store.
        services.TryAddSingleton<IClock>(SystemClock.Instance);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IHandleStoreFactory>(sp => new InMemoryHandleStoreFactory(
            sp.GetRequiredService<IClock>(), sp.GetService<ILoggerFactory>(), sp.GetService<IMeterFactory>()));
        bool keyedByOther = services.Any(d => d.IsKeyedService && d.ServiceType == typeof(IHandleStore<TState>)
            && Equals(d.ServiceKey, kind));
        if (firstOfType)
        {
            services.TryAddSingleton<IHandleStore<TState>>(sp => keyedByOther
                ? sp.GetRequiredKeyedService<IHandleStore<TState>>(kind)
                : registration.CreateStore(sp));
        }

        if (!keyedByOther)
        {
            services.AddKeyedSingleton<IHandleStore<TState>>(kind, (sp, _) => firstOfType
                ? sp.GetRequiredService<IHandleStore<TState>>()
                : registration.CreateStore(sp));
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, HandleSweeper>());
        return registration;
    }
}
