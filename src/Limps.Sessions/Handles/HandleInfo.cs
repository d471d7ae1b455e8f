using NodaTime;

namespace Limps.Sessions;

/// <summary>A live handle as <see cref="IHandleStore{TState}.ListAsync"/> reports it.</summary>
public readonly struct HandleInfo : IEquatable<HandleInfo>
{
    /// <summary>Creates a snapshot.</summary>
    /// <param name="handle">The handle.</param>
    /// <param name="createdAt">When it was created.</param>
    /// <param name="lastActiveAt">When it was last used.</param>
    /// <param name="expiresAt">When it will expire unless used again, or <see langword="null"/> when only a later use could tell.</param>
    public HandleInfo(string handle, Instant createdAt, Instant lastActiveAt, Instant? expiresAt)
    {
        Handle = handle;
        CreatedAt = createdAt;
        LastActiveAt = lastActiveAt;
        ExpiresAt = expiresAt;
    }

    /// <summary>
    /// Describes a live handle from the session that carries it: <see cref="ExpiresAt"/> is the nearer of the idle
    /// deadline (last activity plus <see cref="HandleKindOptions.IdleTimeout"/>) and the end of
    /// <see cref="HandleKindOptions.MaxLifetime"/>, or <see langword="null"/> when neither applies. Stores build their
    /// <see cref="IHandleStore{TState}.ListAsync"/> answers with it.
    /// </summary>
    /// <param name="session">The live session of the handle (its id is the handle).</param>
    /// <param name="kind">The kind's settings.</param>
    /// <returns>The handle's description.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="kind"/> is <see langword="null"/>.</exception>
    public static HandleInfo Of(SessionInfo session, HandleKindOptions kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        Instant? at = kind.IdleTimeout > TimeSpan.Zero ? session.LastActiveAt + Duration.FromTimeSpan(kind.IdleTimeout) : null;
        if (kind.MaxLifetime > TimeSpan.Zero)
        {
            Instant lifetimeEnd = session.CreatedAt + Duration.FromTimeSpan(kind.MaxLifetime);
            at = at is { } idle && idle < lifetimeEnd ? idle : lifetimeEnd;
        }

        return new HandleInfo(session.Id.ToString(), session.CreatedAt, session.LastActiveAt, at);
    }

    /// <summary>
    /// Orders handles the way <see cref="IHandleStore{TState}.ListAsync"/> answers them: oldest first, then by handle.
    /// </summary>
    /// <param name="left">The first handle.</param>
    /// <param name="right">The second handle.</param>
    /// <returns>Less than zero when <paramref name="left"/> comes first.</returns>
    public static int CompareByCreation(HandleInfo left, HandleInfo right) =>
        left.CreatedAt != right.CreatedAt
            ? left.CreatedAt.CompareTo(right.CreatedAt)
            : string.CompareOrdinal(left.Handle, right.Handle);

    /// <summary>Gets the handle (a bearer secret where there is no authentication: do not log it).</summary>
    public string Handle { get; }

    /// <summary>Gets when the handle was created.</summary>
    public Instant CreatedAt { get; }

    /// <summary>Gets when the handle was last used.</summary>
    public Instant LastActiveAt { get; }

    /// <summary>Gets when the handle will expire unless it is used before: the earlier of the idle deadline and the lifetime's end.</summary>
    public Instant? ExpiresAt { get; }

    /// <summary>Compares two snapshots.</summary>
    /// <param name="left">The first.</param>
    /// <param name="right">The second.</param>
    /// <returns><see langword="true"/> when they are equal.</returns>
    public static bool operator ==(HandleInfo left, HandleInfo right) => left.Equals(right);

    /// <summary>Compares two snapshots.</summary>
    /// <param name="left">The first.</param>
    /// <param name="right">The second.</param>
    /// <returns><see langword="true"/> when they differ.</returns>
    public static bool operator !=(HandleInfo left, HandleInfo right) => !left.Equals(right);

    /// <inheritdoc />
    public bool Equals(HandleInfo other) =>
        string.Equals(Handle, other.Handle, StringComparison.Ordinal)
        && CreatedAt == other.CreatedAt
        && LastActiveAt == other.LastActiveAt
        && ExpiresAt == other.ExpiresAt;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is HandleInfo other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Handle, CreatedAt, LastActiveAt, ExpiresAt);

    /// <summary>Returns a description with the masked handle (never the full handle).</summary>
    /// <returns>A string for diagnostics.</returns>
    public override string ToString() => $"Handle {HandleText.Mask(Handle)} created {CreatedAt} last active {LastActiveAt}";
}
