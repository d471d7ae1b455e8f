using NodaTime;
using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>
/// An <see cref="IExpiryLedger"/> in Redis, shared by every replica that uses the same Redis and key prefix, bounded
/// twice like the in-memory one: by <see cref="LimpsSessionsOptions.LedgerRetention"/> (a tombstone is answered for
/// exactly that long after it expired, judged by this replica's clock; its key also carries a matching time to live)
/// and by <see cref="LimpsSessionsOptions.MaxLedgerEntries"/> across all replicas (an index of tombstones by recording
/// order is trimmed, oldest first, in the same script that records one).
/// </summary>
/// <remarks>
/// The <see cref="RedisSessionRegistry"/> writes tombstones itself, atomically with the end of the session; this type
/// answers lookups, prunes and counts, and records tombstones that come from elsewhere. A reason is stored by code, plus
/// the description of a custom reason, and reads back as the built-in reason or an equal <see cref="ExpiryReason"/>;
/// the owner key, when the session had one, is kept with it.
/// </remarks>
public sealed class RedisExpiryLedger : IExpiryLedger
{
    private static readonly RedisValue[] TombstoneFields = ["r", "x", "a", "d", "o"];

    private readonly RedisSessionStore _store;
    private readonly long _retentionMicros;

    /// <summary>Creates a ledger.</summary>
    /// <param name="connection">The Redis connection; not disposed by the ledger.</param>
    /// <param name="options">Retention and capacity; every replica must use the same ones. Validated here.</param>
    /// <param name="redisOptions">The Redis store options. Validated here.</param>
    /// <param name="clock">The clock that decides when a tombstone is past retention.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are not valid.</exception>
    public RedisExpiryLedger(
        IConnectionMultiplexer connection,
        LimpsSessionsOptions options,
        RedisSessionStoreOptions redisOptions,
        IClock clock)
    {
        _store = new RedisSessionStore(connection, options, redisOptions, clock);
        _retentionMicros = RedisSessionStore.MicrosUp(options.LedgerRetention.Ticks);
    }

    /// <inheritdoc />
    /// <exception cref="SessionStoreUnavailableException">Redis cannot be reached or does not answer in time.</exception>
    public async ValueTask<bool> RecordAsync(ExpiredSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        RedisValue[] args = _store.Arguments(session.Id, 7);
        args[RedisSessionStore.Own(0)] = session.Id.ToString();
        args[RedisSessionStore.Own(1)] = session.Reason.Code;
        args[RedisSessionStore.Own(2)] = RedisSessionStore.DescriptionToStore(session.Reason);
        args[RedisSessionStore.Own(3)] = RedisSessionStore.ToMicrosDown(session.ExpiredAt);
        args[RedisSessionStore.Own(4)] = RedisSessionStore.ToMicrosUp(session.LastActiveAt);
        args[RedisSessionStore.Own(5)] = session.Owner is null ? 0 : 1;
        args[RedisSessionStore.Own(6)] = session.Owner ?? string.Empty;
        RedisResult kept = await _store.EvaluateAsync(
            RedisScripts.Record, _store.Keys.Tombstone(session.Id), args, cancellationToken).ConfigureAwait(false);
        return (long)kept == 1;
    }

    /// <inheritdoc />
    /// <exception cref="SessionStoreUnavailableException">Redis cannot be reached or does not answer in time.</exception>
    public async ValueTask<ExpiredSession?> FindAsync(SessionId id, CancellationToken cancellationToken = default)
    {
        if (id.IsEmpty)
        {
            return null;
        }

        RedisValue[] fields = await _store.RunAsync(
            db => db.HashGetAsync(_store.Keys.Tombstone(id), TombstoneFields), cancellationToken).ConfigureAwait(false);
        if (fields[0].IsNull || !fields[1].TryParse(out long expiredAt) || !fields[2].TryParse(out long lastActive))
        {
            return null;
        }

        long now = RedisSessionStore.ToMicrosDown(_store.Now());
        if (now - expiredAt >= _retentionMicros)
        {
            return null;
        }

        return new ExpiredSession(
            id,
            _store.Reason(fields[0]!, fields[3].IsNull ? null : (string?)fields[3]),
            RedisSessionStore.FromMicros(expiredAt),
            RedisSessionStore.FromMicros(lastActive),
            fields[4].IsNull ? null : (string?)fields[4]);
    }

    /// <inheritdoc />
    /// <exception cref="SessionStoreUnavailableException">Redis cannot be reached or does not answer in time.</exception>
    public ValueTask<int> PruneAsync(CancellationToken cancellationToken = default) => _store.PruneAsync(cancellationToken);

    /// <inheritdoc />
    /// <exception cref="SessionStoreUnavailableException">Redis cannot be reached or does not answer in time.</exception>
    public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) =>
        _store.SumOverShardsAsync(shard => _store.Keys.Ledger(shard), cancellationToken);
}
