namespace Limps.Sessions;

/// <summary>
/// What a store keeps beside the registry entry of a live handle: its owner and the app's state. Updates of the state
/// run under a lock on the slot, so two concurrent updates of one handle never lose each other's change.
/// </summary>
internal sealed class HandleSlot<TState>(SessionId id, string? owner, TState state)
{
    public readonly SessionId Id = id;

    public readonly string? Owner = owner;

    /// <summary>Written only under a lock on the slot; read with a volatile read.</summary>
    public TState State = state;
}
