using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Limps.Sessions.AspNetCore;

/// <summary>
/// A handle kind registered with <c>AddLimpsHandles</c>: its name and state type, kept in the service collection so
/// the sweeper and the health check can reach every kind's store without knowing its state type.
/// </summary>
internal abstract class HandleKindRegistration(string name, Type stateType)
{
    public string Name { get; } = name;

    public Type StateType { get; } = stateType;

    /// <summary>Resolves the kind's store and settings.</summary>
    public abstract HandleKindView Resolve(IServiceProvider services);
}

/// <summary>A registered kind of a known state type.</summary>
internal sealed class HandleKindRegistration<TState>(string name, bool firstOfType) : HandleKindRegistration(name, typeof(TState))
{
    /// <summary>Gets whether this is the first kind of its state type, the one the unkeyed store stands for.</summary>
    public bool FirstOfType { get; } = firstOfType;

    /// <summary>Gets or sets the state's JSON contract, for stores that serialize states.</summary>
    public JsonTypeInfo<TState>? StateTypeInfo { get; set; }

    public IHandleStore<TState> CreateStore(IServiceProvider services) =>
        services.GetRequiredService<IHandleStoreFactory>().Create(
            services.GetRequiredService<IOptionsMonitor<HandleKindOptions>>().Get(Name), StateTypeInfo);

    public override HandleKindView Resolve(IServiceProvider services)
    {
        // A store package may have replaced every registration of IHandleStore<TState>, the keyed one included.
        IHandleStore<TState> store = services.GetKeyedService<IHandleStore<TState>>(Name)
            ?? (FirstOfType
                ? services.GetRequiredService<IHandleStore<TState>>()
                : throw new InvalidOperationException($"No store is registered for the handle kind '{Name}'."));
        return new HandleKindView(store.Kind, store.SweepAsync, store.CountAsync);
    }
}

/// <summary>What the sweeper and the health check need of a kind's store.</summary>
internal sealed class HandleKindView(
    HandleKindOptions options,
    Func<CancellationToken, ValueTask<int>> sweep,
    Func<CancellationToken, ValueTask<int>> count)
{
    public HandleKindOptions Options { get; } = options;

    public ValueTask<int> SweepAsync(CancellationToken cancellationToken) => sweep(cancellationToken);

    public ValueTask<int> CountAsync(CancellationToken cancellationToken) => count(cancellationToken);
}
