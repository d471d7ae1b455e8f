namespace Limps.Sessions;

/// <summary>
/// Remembers ended sessions (tombstones) for a bounded time and number, so a returning client can be told its
/// session expired, and why, instead of "not found".
/// </summary>
public interface IExpiryLedger
{
    /// <summary>Records a tombstone, replacing any older one for the same id.</summary>
    /// <param name="session">The tombstone.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="true"/> when it was kept (it is not when retention is zero or it is already past retention).</returns>
    ValueTask<bool> RecordAsync(ExpiredSession session, CancellationToken cancellationToken = default);

    /// <summary>Finds the tombstone of an id, if it is still retained.</summary>
    /// <param name="id">The id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The tombstone, or <see langword="null"/> when the id is not remembered.</returns>
    ValueTask<ExpiredSession?> FindAsync(SessionId id, CancellationToken cancellationToken = default);

    /// <summary>Drops the tombstones older than the retention.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>How many were dropped.</returns>
    ValueTask<int> PruneAsync(CancellationToken cancellationToken = default);

    /// <summary>Counts the tombstones held (some may be past retention until the next prune).</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The number of tombstones held.</returns>
    ValueTask<int> CountAsync(CancellationToken cancellationToken = default);
}
