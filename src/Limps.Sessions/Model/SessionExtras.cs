namespace Limps.Sessions;

/// <summary>
/// The rarely present parts of a session (owner, metadata), kept out of line so that entries and snapshots of the
/// common anonymous session without metadata stay small. Handles share one per owner (<see cref="HandleOwner"/>).
/// </summary>
internal class SessionExtras(string? owner, IReadOnlyDictionary<string, string>? metadata)
{
    public string? Owner { get; } = owner;

    public IReadOnlyDictionary<string, string>? Metadata { get; } = metadata;

    public static SessionExtras? For(string? owner, IReadOnlyDictionary<string, string>? metadata) =>
        owner is null && (metadata is null || metadata.Count == 0) ? null : new SessionExtras(owner, metadata);
}
