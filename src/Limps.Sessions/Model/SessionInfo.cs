using System.Collections.Frozen;
using NodaTime;

namespace Limps.Sessions;

/// <summary>A snapshot of a live session: when it started, when it was last active, and whom it belongs to.</summary>
public readonly struct SessionInfo
{
    /// <summary>An empty metadata bag, shared by every session created without metadata.</summary>
    internal static readonly IReadOnlyDictionary<string, string> NoMetadata = FrozenDictionary<string, string>.Empty;

    private readonly SessionExtras? _extras;
    private readonly long _createdAtUnixTicks;
    private readonly long _lastActiveAtUnixTicks;

    /// <summary>Creates a snapshot.</summary>
    /// <param name="id">The session id.</param>
    /// <param name="createdAt">When the session was created.</param>
    /// <param name="lastActiveAt">When the session was last used.</param>
    /// <param name="owner">The principal the session is bound to, or <see langword="null"/> for an anonymous session.</param>
    /// <param name="metadata">User metadata; <see langword="null"/> means none.</param>
    public SessionInfo(
        SessionId id,
        Instant createdAt,
        Instant lastActiveAt,
        string? owner = null,
        IReadOnlyDictionary<string, string>? metadata = null)
        : this(id, createdAt.ToUnixTimeTicks(), lastActiveAt.ToUnixTimeTicks(), SessionExtras.For(owner, metadata))
    {
    }

    // Instants are kept as Unix ticks and built on access: registries answer a touch with a snapshot, and building
    // two Instants on every touch would cost more than the rest of it.
    internal SessionInfo(SessionId id, long createdAtUnixTicks, long lastActiveAtUnixTicks, SessionExtras? extras)
    {
        Id = id;
        _createdAtUnixTicks = createdAtUnixTicks;
        _lastActiveAtUnixTicks = lastActiveAtUnixTicks;
        _extras = extras;
    }

    /// <summary>Gets the session id.</summary>
    public SessionId Id { get; }

    /// <summary>Gets when the session was created (to the 100 ns tick).</summary>
    public Instant CreatedAt => Instant.FromUnixTimeTicks(_createdAtUnixTicks);

    /// <summary>Gets when the session was last active (a touch, or the end of its last request lease).</summary>
    public Instant LastActiveAt => Instant.FromUnixTimeTicks(_lastActiveAtUnixTicks);

    /// <summary>Gets the principal the session is bound to, or <see langword="null"/> for an anonymous session.</summary>
    public string? Owner => _extras?.Owner;

    /// <summary>Gets the user metadata attached when the session was created (never <see langword="null"/>).</summary>
    public IReadOnlyDictionary<string, string> Metadata => _extras?.Metadata ?? NoMetadata;

    /// <summary>Returns a description with the masked id (never the full id).</summary>
    /// <returns>A string for diagnostics.</returns>
    public override string ToString() =>
        $"Session {Id.Masked} created {CreatedAt} last active {LastActiveAt}";
}
