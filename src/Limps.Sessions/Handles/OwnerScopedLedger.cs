using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Limps.Sessions;

/// <summary>
/// The ledger a handle kind's registry writes to. Tombstones of handles must not tell another user that a handle
/// existed, so each is kept under a key derived from the handle and its owner (the first 128 bits of
/// SHA-256(handle, owner)), and can only be found again by a caller with the same owner. The key is a 22-character
/// base64url id, which the in-memory ledger stores as its 128 bits, so the retention and capacity bounds and the
/// compact tombstones of the session ledger are reused as they are, and the ledger never holds a handle itself.
/// </summary>
/// <remarks>
/// The registry asks <see cref="FindAsync"/> without a caller; it is answered "not remembered", and the handle store
/// asks <see cref="FindForCallerAsync"/> instead.
/// </remarks>
internal sealed class OwnerScopedLedger(IExpiryLedger inner, Func<SessionId, OwnerOf> ownerOf) : IExpiryLedger
{
    public ValueTask<bool> RecordAsync(ExpiredSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        OwnerOf owner = ownerOf(session.Id);
        if (!owner.Known)
        {
            // Without its owner the tombstone could only be kept readable by everyone or by no one: no one.
            return new ValueTask<bool>(false);
        }

        var scoped = new ExpiredSession(KeyOf(session.Id, owner.Owner), session.Reason, session.ExpiredAt, session.LastActiveAt);
        return inner.RecordAsync(scoped, cancellationToken);
    }

    public ValueTask<ExpiredSession?> FindAsync(SessionId id, CancellationToken cancellationToken = default) =>
        new((ExpiredSession?)null);

    public async ValueTask<ExpiredSession?> FindForCallerAsync(SessionId id, string? caller, CancellationToken cancellationToken)
    {
        ExpiredSession? scoped = await inner.FindAsync(KeyOf(id, caller), cancellationToken).ConfigureAwait(false);
        return scoped is null ? null : new ExpiredSession(id, scoped.Reason, scoped.ExpiredAt, scoped.LastActiveAt);
    }

    public ValueTask<int> PruneAsync(CancellationToken cancellationToken = default) => inner.PruneAsync(cancellationToken);

    public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) => inner.CountAsync(cancellationToken);

    internal static SessionId KeyOf(SessionId handle, string? owner)
    {
        // handle, a separator no handle contains, then a marker that tells "no owner" from an empty owner key.
        string text = owner is null ? string.Concat(handle.ToString(), "\0-") : string.Concat(handle.ToString(), "\0+", owner);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return SessionId.TryParse(Base64Url.EncodeToString(hash[..16]), out SessionId key)
            ? key
            : throw new InvalidOperationException("A ledger key is not a valid id.");
    }
}

/// <summary>The owner of a handle as the store knows it: whether it is known at all, and who (null: no owner).</summary>
internal readonly record struct OwnerOf(bool Known, string? Owner);
