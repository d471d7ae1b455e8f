namespace Limps.Sessions;

/// <summary>
/// The handles of one kind (design §8): server-minted ids for application state that a tool returns and later tools
/// take as an argument, with the lifecycle sessions have: idle timeout and optional lifetime, the owner checked on
/// every use, first reason wins, and "expired (why, when)" answers for ended handles.
/// </summary>
/// <typeparam name="TState">The application's state kept per handle.</typeparam>
/// <remarks>
/// <para>
/// Operations that take a handle from a caller throw <see cref="HandleUnavailableException"/> when it cannot be used:
/// malformed text (checked before any store is touched), a handle the caller does not own (answered exactly as an
/// unknown one, and left untouched), an unknown handle, or an ended one (with its reason and instant). MCP hosts turn
/// that exception into a tool result; tool code does not format errors.
/// </para>
/// <para>
/// Owners are opaque keys, for example <c>SessionOwner.KeyOf(user)</c> of the HTTP package; <see langword="null"/>
/// means no owner: the handle is then a bearer token that any caller without an owner may use.
/// </para>
/// </remarks>
public interface IHandleStore<TState>
{
    /// <summary>Gets the settings of the kind this store keeps (a copy; changing it changes nothing).</summary>
    HandleKindOptions Kind { get; }

    /// <summary>Creates a handle for a state.</summary>
    /// <param name="state">The state to keep.</param>
    /// <param name="owner">The owner the handle is bound to, or <see langword="null"/> for none.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The new handle: the kind's prefix and 128 random bits in URL-safe characters.</returns>
    /// <exception cref="HandleCapacityExceededException">The kind's or the owner's cap is reached, even after ending overdue handles.</exception>
    ValueTask<string> CreateAsync(TState state, string? owner = null, CancellationToken cancellationToken = default);

    /// <summary>Returns a handle's state and records activity (restarting its idle clock).</summary>
    /// <param name="handle">The handle as the caller sent it.</param>
    /// <param name="caller">The caller's owner key, or <see langword="null"/> for none.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The state. Treat it as read-only; change it with <see cref="UpdateAsync"/>.</returns>
    /// <exception cref="HandleUnavailableException">The handle cannot be used by this caller.</exception>
    ValueTask<TState> UseAsync(string? handle, string? caller = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces a handle's state with what <paramref name="update"/> makes of it, atomically: concurrent updates of one
    /// handle each see the result of the one before. Records activity; the handle cannot idle out while it runs.
    /// </summary>
    /// <param name="handle">The handle as the caller sent it.</param>
    /// <param name="caller">The caller's owner key, or <see langword="null"/> for none.</param>
    /// <param name="update">
    /// Makes the new state from the current one. Keep it short and free of other side effects: a store may run it more
    /// than once (a shared store retries it on a conflicting write); the in-memory store runs it once, under a lock.
    /// When it throws, the state is left as it was.
    /// </param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The new state.</returns>
    /// <exception cref="HandleUnavailableException">The handle cannot be used by this caller.</exception>
    ValueTask<TState> UpdateAsync(string? handle, string? caller, Func<TState, TState> update, CancellationToken cancellationToken = default);

    /// <summary>Ends a handle at the caller's request, with reason <c>deleted</c>; a later use is answered expired (deleted).</summary>
    /// <param name="handle">The handle as the caller sent it.</param>
    /// <param name="caller">The caller's owner key, or <see langword="null"/> for none.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the handle has ended.</returns>
    /// <exception cref="HandleUnavailableException">The handle cannot be used by this caller (for example it already ended).</exception>
    ValueTask DestroyAsync(string? handle, string? caller = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Ends a handle with any reason, whoever owns it (for the server itself, for example to revoke one). The first end
    /// wins; an overdue handle ends with its own reason (<c>timeout</c> or <c>lifetime</c>) instead.
    /// </summary>
    /// <param name="handle">The handle.</param>
    /// <param name="reason">Why it ends; a subclass of <see cref="ExpiryReason"/> is kept by its code.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="true"/> when this call ended the handle.</returns>
    ValueTask<bool> EndAsync(string? handle, ExpiryReason reason, CancellationToken cancellationToken = default);

    /// <summary>Lists the caller's live handles of this kind, oldest first, without recording activity.</summary>
    /// <param name="caller">The caller's owner key. Handles without an owner are never listed, so <see langword="null"/> lists none.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The caller's live handles.</returns>
    ValueTask<IReadOnlyList<HandleInfo>> ListAsync(string? caller, CancellationToken cancellationToken = default);

    /// <summary>Ends every handle whose deadline has passed and prunes the ledger; costs in proportion to what is due.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>How many handles this sweep ended.</returns>
    ValueTask<int> SweepAsync(CancellationToken cancellationToken = default);

    /// <summary>Counts the live handles of this kind.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The number of live handles.</returns>
    ValueTask<int> CountAsync(CancellationToken cancellationToken = default);
}
