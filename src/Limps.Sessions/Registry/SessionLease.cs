namespace Limps.Sessions;

/// <summary>
/// A request lease on a session: while it is held the session cannot idle out, and when the last lease on a
/// session is released its idle clock restarts. Obtain one from
/// <see cref="ISessionRegistry.BeginLeaseAsync"/> and release it with <c>await using</c>.
/// </summary>
/// <remarks>
/// When the session was not live, <see cref="Lookup"/> says why and the lease holds nothing; releasing it is
/// then a no-op. Releasing twice is harmless.
/// </remarks>
public abstract class SessionLease : IAsyncDisposable
{
    private int _released;

    /// <summary>Creates a lease carrying the answer the registry gave when it was taken.</summary>
    /// <param name="lookup">What the session was when the lease was requested.</param>
    protected SessionLease(SessionLookup lookup) => Lookup = lookup;

    /// <summary>Gets what the session was when the lease was requested.</summary>
    public SessionLookup Lookup { get; }

    /// <summary>Gets whether this lease holds a live session open.</summary>
    public bool IsHeld => Lookup.IsActive;

    /// <summary>
    /// Gets whether the id names a session (live or ended) bound to another owner than the caller of
    /// <see cref="ISessionRegistry.BeginLeaseForOwnerAsync"/>. The lease then holds nothing and its
    /// <see cref="Lookup"/> is NotFound, so the caller answers exactly as for an unknown id; the flag is for logs.
    /// </summary>
    public bool IsOwnerMismatch => ReferenceEquals(this, UnheldLease.Foreign);

    /// <summary>Gets the lease that answers a caller who does not own the session: it holds nothing and reads as NotFound.</summary>
    public static SessionLease OwnerMismatch => UnheldLease.Foreign;

    /// <summary>Creates a lease that holds nothing, for an id that was not live.</summary>
    /// <param name="lookup">The Expired or NotFound answer.</param>
    /// <returns>A lease whose release does nothing.</returns>
    /// <exception cref="ArgumentException"><paramref name="lookup"/> is Active.</exception>
    public static SessionLease NotHeld(SessionLookup lookup)
    {
        if (lookup.IsActive)
        {
            throw new ArgumentException("A lease on an active session must hold it.", nameof(lookup));
        }

        return lookup.IsNotFound ? UnheldLease.NotFound : new UnheldLease(lookup);
    }

    /// <summary>Releases the lease once; later calls do nothing.</summary>
    /// <returns>A task that completes when the release is recorded.</returns>
    public ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        if (!IsHeld || Interlocked.Exchange(ref _released, 1) != 0)
        {
            return ValueTask.CompletedTask;
        }

        return ReleaseAsync();
    }

    /// <summary>Records the end of the request in the store. Called at most once, and only for a held lease.</summary>
    /// <returns>A task that completes when the release is recorded.</returns>
    protected abstract ValueTask ReleaseAsync();

    private sealed class UnheldLease(SessionLookup lookup) : SessionLease(lookup)
    {
        public static readonly UnheldLease NotFound = new(SessionLookup.NotFound);

        public static readonly UnheldLease Foreign = new(SessionLookup.NotFound);

        protected override ValueTask ReleaseAsync() => ValueTask.CompletedTask;
    }
}
