using System.Text.Json.Serialization.Metadata;

namespace Limps.Sessions;

/// <summary>
/// Builds the store of each registered handle kind. The dependency-injection registration of handles
/// (<c>services.AddLimpsHandles&lt;TState&gt;(...)</c>) asks the one registered factory for each kind's store, so a
/// shared store (for example on Redis) plugs in for every kind by registering its factory; without one,
/// <see cref="InMemoryHandleStoreFactory"/> is used.
/// </summary>
public interface IHandleStoreFactory
{
    /// <summary>Creates the store of one kind. Called once per kind, when the kind's store is first resolved.</summary>
    /// <typeparam name="TState">The application's state kept per handle.</typeparam>
    /// <param name="kind">The kind's validated settings.</param>
    /// <param name="stateTypeInfo">
    /// How to serialize the state, when the host gave one: a store that keeps states outside process memory needs it
    /// (trimmed and native AOT hosts pass a source-generated one); the in-memory store ignores it. Wrap it in a
    /// <see cref="HandleStateSerializer{TState}"/> so a state that cannot be serialized fails at create.
    /// </param>
    /// <returns>The kind's store.</returns>
    IHandleStore<TState> Create<TState>(HandleKindOptions kind, JsonTypeInfo<TState>? stateTypeInfo);
}
