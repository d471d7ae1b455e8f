namespace Limps.Sessions;

/// <summary>
/// The live sessions and their lifecycle. Every operation is safe to call from many threads at once: each
/// session ends exactly once, with exactly one reason, and leaves exactly one tombstone in the ledger.
/// </summary>
/// <remarks>
/// Methods return <see cref="ValueTask"/> so an in-memory registry completes synchronously without allocating,
/// while a distributed one can do I/O. A session past its idle deadline is reported
/// <see cref="SessionLookupKind.Expired"/> with reason <c>timeout</c> by every lookup, even before a sweep ran.
/// </remarks>
public interface ISessionRegistry
{
    /// <summary>Creates a live session.</summary>
    /// <param name="id">The id to use (for example the one the MCP server issued), or <see langword="null"/> for a new random id.</param>
    /// <param name="owner">The principal the session is bound to, or <see langword="null"/> for an anonymous session.</param>
    /// <param name="metadata">User metadata to keep with the session.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The new session.</returns>
    /// <exception cref="SessionCapacityExceededException">
    /// <see cref="LimpsSessionsOptions.MaxSessions"/> sessions are live even after ending the overdue ones.
    /// </exception>
    /// <exception cref="InvalidOperationException">A live session already has this id.</exception>
    ValueTask<SessionInfo> CreateAsync(
        SessionId? id = null,
        string? owner = null,
        IReadOnlyDictionary<string, string>? metadata = null,
        CancellationToken cancellationToken = default);

    /// <summary>Says what an id is, without recording activity.</summary>
    /// <param name="id">The id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Active, Expired (with the tombstone) or NotFound.</returns>
    ValueTask<SessionLookup> LookupAsync(SessionId id, CancellationToken cancellationToken = default);

    /// <summary>Says what an id is and, when it is live, records activity now (restarting its idle clock).</summary>
    /// <param name="id">The id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Active (with the refreshed activity), Expired or NotFound.</returns>
    ValueTask<SessionLookup> TouchAsync(SessionId id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records activity and opens a request lease: the session cannot idle out until the lease is released,
    /// and its idle clock restarts when its last lease ends. Use for the whole of a request, including a
    /// long-lived stream.
    /// </summary>
    /// <param name="id">The id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A lease; when the session was not live it holds nothing and its <see cref="SessionLease.Lookup"/> says why.</returns>
    ValueTask<SessionLease> BeginLeaseAsync(SessionId id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Opens a request lease for the session's owner only, in one call: the look-up, the owner check and the lease
    /// that an HTTP check needs for every request. Another caller's session, live or ended, is answered as unknown
    /// and left untouched (no activity recorded, no lease taken).
    /// </summary>
    /// <param name="id">The id.</param>
    /// <param name="owner">
    /// The caller's owner key (as <see cref="SessionInfo.Owner"/> holds it), or <see langword="null"/> for an
    /// anonymous caller, who matches only sessions without an owner.
    /// </param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>
    /// A held lease when the session is live and the caller's; otherwise a lease that holds nothing, whose
    /// <see cref="SessionLease.Lookup"/> is Expired (the caller's own ended session) or NotFound (unknown, or another
    /// owner's: then <see cref="SessionLease.IsOwnerMismatch"/> is <see langword="true"/>).
    /// </returns>
    /// <remarks>
    /// The default implementation looks up, compares the owner, then leases: two calls to the store. A store that can
    /// do all three in one round trip (as the in-memory and Redis registries do) should override it.
    /// </remarks>
    async ValueTask<SessionLease> BeginLeaseForOwnerAsync(
        SessionId id, string? owner, CancellationToken cancellationToken = default)
    {
        SessionLookup lookup = await LookupAsync(id, cancellationToken).ConfigureAwait(false);
        if (!lookup.IsOwnedBy(owner))
        {
            return SessionLease.OwnerMismatch;
        }

        if (!lookup.IsActive)
        {
            return SessionLease.NotHeld(lookup);
        }

        SessionLease lease = await BeginLeaseAsync(id, cancellationToken).ConfigureAwait(false);
        if (lease.Lookup.IsOwnedBy(owner))
        {
            return lease;
        }

        // The id changed hands between the two calls (ended and created again by someone else): give it back.
        await lease.DisposeAsync().ConfigureAwait(false);
        return SessionLease.OwnerMismatch;
    }

    /// <summary>
    /// Ends a live session with a reason and writes its tombstone. The first end wins: a later call, or a call
    /// on a session whose idle deadline already passed (which then ends with <c>timeout</c>), returns
    /// <see langword="false"/> and changes nothing else.
    /// </summary>
    /// <param name="id">The id.</param>
    /// <param name="reason">Why it ends.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="true"/> when this call ended the session.</returns>
    ValueTask<bool> EndAsync(SessionId id, ExpiryReason reason, CancellationToken cancellationToken = default);

    /// <summary>
    /// Ends every session whose deadline has passed and that holds no lease, then prunes the ledger. Costs in
    /// proportion to the sessions that are due (and those refreshed since they were scheduled), not to all
    /// live sessions.
    /// </summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>How many sessions this sweep ended.</returns>
    ValueTask<int> SweepAsync(CancellationToken cancellationToken = default);

    /// <summary>Ends every live session with a reason, for example <see cref="ExpiryReason.Closed"/> on shutdown.</summary>
    /// <param name="reason">Why they end.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>How many sessions this call ended.</returns>
    ValueTask<int> EndAllAsync(ExpiryReason reason, CancellationToken cancellationToken = default);

    /// <summary>Counts the live sessions (including overdue ones that no lookup or sweep has ended yet).</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The number of live sessions.</returns>
    ValueTask<int> CountAsync(CancellationToken cancellationToken = default);
}
