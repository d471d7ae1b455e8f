using NodaTime;

namespace Limps.Sessions;

/// <summary>
/// A tombstone: what is remembered about a session after it ended, so that a client coming back with its id
/// can be told why and when.
/// </summary>
public sealed class ExpiredSession : IEquatable<ExpiredSession>
{
    /// <summary>Creates a tombstone.</summary>
    /// <param name="id">The id of the session that ended.</param>
    /// <param name="reason">Why it ended.</param>
    /// <param name="expiredAt">When it stopped being usable.</param>
    /// <param name="lastActiveAt">When it was last active.</param>
    /// <param name="owner">
    /// The owner key the session was bound to (<see cref="SessionInfo.Owner"/>), or <see langword="null"/> when it
    /// was not bound to a user.
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="id"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="reason"/> is null.</exception>
    public ExpiredSession(SessionId id, ExpiryReason reason, Instant expiredAt, Instant lastActiveAt, string? owner = null)
    {
        if (id.IsEmpty)
        {
            throw new ArgumentException("The session id must not be empty.", nameof(id));
        }

        ArgumentNullException.ThrowIfNull(reason);
        Id = id;
        Reason = reason;
        ExpiredAt = expiredAt;
        LastActiveAt = lastActiveAt;
        Owner = owner;
    }

    /// <summary>Gets the id of the session that ended.</summary>
    public SessionId Id { get; }

    /// <summary>Gets why the session ended.</summary>
    public ExpiryReason Reason { get; }

    /// <summary>
    /// Gets when the session stopped being usable: for a timeout, its last activity plus the idle timeout (not
    /// the moment a sweep noticed); for other reasons, the instant it was ended.
    /// </summary>
    public Instant ExpiredAt { get; }

    /// <summary>Gets when the session was last active.</summary>
    public Instant LastActiveAt { get; }

    /// <summary>
    /// Gets the owner key the session was bound to, or <see langword="null"/> when it was not bound to a user. It is
    /// kept with the tombstone so that an ended session is released as its owner on every replica, and so that
    /// another user asking about it can be answered as for an unknown id. Like the owner of a live session, it is
    /// never logged.
    /// </summary>
    public string? Owner { get; }

    /// <summary>Compares two tombstones by id, reason code, instants and owner.</summary>
    /// <param name="left">The first tombstone.</param>
    /// <param name="right">The second tombstone.</param>
    /// <returns><see langword="true"/> when both are null or describe the same end.</returns>
    public static bool operator ==(ExpiredSession? left, ExpiredSession? right) =>
        left is null ? right is null : left.Equals(right);

    /// <summary>Compares two tombstones by id, reason code, instants and owner.</summary>
    /// <param name="left">The first tombstone.</param>
    /// <param name="right">The second tombstone.</param>
    /// <returns><see langword="true"/> when they describe different ends.</returns>
    public static bool operator !=(ExpiredSession? left, ExpiredSession? right) => !(left == right);

    /// <summary>Returns whether <paramref name="other"/> describes the same end: same id, reason code, instants and owner.</summary>
    /// <param name="other">The other tombstone.</param>
    /// <returns><see langword="true"/> when they are equal.</returns>
    public bool Equals(ExpiredSession? other) =>
        other is not null
        && Id == other.Id
        && Reason == other.Reason
        && ExpiredAt == other.ExpiredAt
        && LastActiveAt == other.LastActiveAt
        && string.Equals(Owner, other.Owner, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as ExpiredSession);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Id, Reason, ExpiredAt, LastActiveAt, Owner is null ? 0 : StringComparer.Ordinal.GetHashCode(Owner));

    /// <summary>Returns a description with the masked id (never the full id).</summary>
    /// <returns>A string for diagnostics.</returns>
    public override string ToString() => $"Session {Id.Masked} expired ({Reason.Code}) at {ExpiredAt}";
}
