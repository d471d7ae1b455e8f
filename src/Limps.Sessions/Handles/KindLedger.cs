namespace Limps.Sessions;

/// <summary>
/// The ledger a handle kind's registry writes to. Tombstones carry the handle's owner (<see cref="ExpiredSession.Owner"/>),
/// and the store compares it with the caller before it tells anyone how a handle ended, so another user's ended handle
/// is answered exactly as an unknown one. This wrapper only re-keys: every handle of the kind starts with the same
/// prefix, so a tombstone is filed under the handle's 22-character random part, which the in-memory ledger keeps as its
/// 128 bits (a prefixed handle would otherwise be kept as a string), and given back under the full handle.
/// </summary>
internal sealed class KindLedger(IExpiryLedger inner, string prefix) : IExpiryLedger
{
    public ValueTask<bool> RecordAsync(ExpiredSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        return TryKeyOf(session.Id, out SessionId key)
            ? inner.RecordAsync(new ExpiredSession(key, session.Reason, session.ExpiredAt, session.LastActiveAt, session.Owner), cancellationToken)
            : inner.RecordAsync(session, cancellationToken);
    }

    public async ValueTask<ExpiredSession?> FindAsync(SessionId id, CancellationToken cancellationToken = default)
    {
        if (!TryKeyOf(id, out SessionId key))
        {
            return null;
        }

        ExpiredSession? stored = await inner.FindAsync(key, cancellationToken).ConfigureAwait(false);
        return stored is null ? null : new ExpiredSession(id, stored.Reason, stored.ExpiredAt, stored.LastActiveAt, stored.Owner);
    }

    public ValueTask<int> PruneAsync(CancellationToken cancellationToken = default) => inner.PruneAsync(cancellationToken);

    public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) => inner.CountAsync(cancellationToken);

    /// <summary>The key a handle's tombstone is filed under: its random part.</summary>
    internal bool TryKeyOf(SessionId handle, out SessionId key)
    {
        string text = handle.ToString();
        key = default;
        return text.Length == prefix.Length + HandleKindOptions.RandomLength
            && text.StartsWith(prefix, StringComparison.Ordinal)
            && SessionId.TryParse(text[prefix.Length..], out key);
    }
}
