using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using NodaTime;
using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>
/// An <see cref="ISessionRegistry"/> in Redis: one session space shared by every replica that uses the same Redis
/// and key prefix. A session created on one replica is live on all; a timeout, DELETE or any other end noticed by
/// one is reported identically by all, and each session ends exactly once, with the first reason, across replicas.
/// </summary>
/// <remarks>
/// <para>
/// Every operation is one round trip: a Lua script that reads the session, ends it first when it is overdue (writing
/// its tombstone), and records activity, all atomically. A touch writes only when it moves the last activity by
/// <see cref="RedisSessionStoreOptions.TouchWriteTolerance"/> or more. Instants are kept to the microsecond; the
/// last activity is rounded up and compared with the caller's time rounded down, so a session never idles out early
/// because of rounding.
/// </para>
/// <para>
/// Clocks: each replica's injected <see cref="IClock"/> decides. The stored last activity only moves forward
/// (<c>max(stored, now)</c>), and a session ends for timeout only when the deciding replica's now is at or past the
/// stored last activity plus the idle timeout. A replica whose clock is behind therefore ends sessions late, never
/// early; one whose clock is ahead can end them early by its lead, unless
/// <see cref="RedisSessionStoreOptions.MaxClockSkew"/> caps its time by Redis's own clock.
/// </para>
/// <para>
/// Leases are tokens with their own expiry in Redis, renewed by the replica that holds them (every third of
/// <see cref="RedisSessionStoreOptions.LeaseHolderTimeout"/>) and released by token; a lease whose holder stopped, or
/// whose answer never reached its caller, lapses by itself. A write whose answer was lost to the operation timeout
/// (the caller saw <see cref="SessionStoreUnavailableException"/>, yet Redis may have run it) is made harmless in the
/// background: the lease is released by its token, the unused session is taken back, the end is reported to this
/// replica's observers.
/// </para>
/// <para>
/// Tombstones go to the Redis ledger (<see cref="RedisExpiryLedger"/>) inside the same script that ends the session.
/// Observers are called on the replica that made the change; with
/// <see cref="RedisSessionStoreOptions.AnnounceEnds"/>, the others hear of ends through a Redis channel.
/// </para>
/// </remarks>
public sealed partial class RedisSessionRegistry : ISessionRegistry, IDisposable
{
    private readonly RedisSessionStore _store;
    private readonly SessionTelemetry _telemetry;
    private readonly ILogger _logger;

    /// <summary>Creates a registry.</summary>
    /// <param name="connection">The Redis connection; not disposed by the registry.</param>
    /// <param name="options">The lifecycle options; every replica must use the same ones. Validated here.</param>
    /// <param name="redisOptions">The Redis store options. Validated here.</param>
    /// <param name="clock">The clock every expiry decision of this replica reads.</param>
    /// <param name="observers">Notified when sessions start and end.</param>
    /// <param name="logger">The logger; ids are always masked.</param>
    /// <param name="meterFactory">Creates the <c>Limps.Sessions</c> meter; <see langword="null"/> creates a standalone one.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are not valid.</exception>
    public RedisSessionRegistry(
        IConnectionMultiplexer connection,
        LimpsSessionsOptions options,
        RedisSessionStoreOptions redisOptions,
        IClock clock,
        IEnumerable<ISessionLifecycleObserver>? observers = null,
        ILogger<RedisSessionRegistry>? logger = null,
        IMeterFactory? meterFactory = null)
        : this(new RedisSessionStore(connection, options, redisOptions, clock), new SessionTelemetry(logger, meterFactory, observers))
    {
    }

    // A registry over a store built elsewhere (a handle kind's, under its own key prefix).
    internal RedisSessionRegistry(RedisSessionStore store, SessionTelemetry telemetry)
    {
        _store = store;
        _telemetry = telemetry;
        _logger = _telemetry.Logger;
        _store.Requests.ReleaseFailed = ReleaseFailed;
    }

    private enum Access
    {
        Lookup,
        Touch,
        Lease,
    }

    /// <summary>Gets the id this registry instance carries among the replicas (its leases and announcements).</summary>
    internal string ReplicaId => _store.ReplicaId;

    internal RedisKeys Keys => _store.Keys;

    internal RedisSessionStore Store => _store;

    /// <inheritdoc />
    /// <exception cref="SessionStoreUnavailableException">Redis cannot be reached or does not answer in time.</exception>
    public ValueTask<SessionInfo> CreateAsync(
        SessionId? id = null,
        string? owner = null,
        IReadOnlyDictionary<string, string>? metadata = null,
        CancellationToken cancellationToken = default) =>
        CreateAsync(id ?? SessionId.New(), owner, metadata, state: null, ownerCap: 0, cancellationToken);

    /// <summary>
    /// Creates a session, or a handle with its state and a cap on its owner's live handles (0: none), in one script.
    /// </summary>
    /// <exception cref="OwnerCapacityExceededException">The owner already holds <paramref name="ownerCap"/> live ones.</exception>
    internal async ValueTask<SessionInfo> CreateAsync(
        SessionId sessionId,
        string? owner,
        IReadOnlyDictionary<string, string>? metadata,
        byte[]? state,
        int ownerCap,
        CancellationToken cancellationToken)
    {
        if (sessionId.IsEmpty)
        {
            throw new ArgumentException("The session id must not be empty.", nameof(sessionId));
        }

        string metadataJson = metadata is null || metadata.Count == 0
            ? string.Empty
            : JsonSerializer.Serialize(new Dictionary<string, string>(metadata, StringComparer.Ordinal), RedisJsonContext.Default.DictionaryStringString);
        for (int attempt = 0; ; attempt++)
        {
            string incarnation = RedisSessionStore.NewToken();
            RedisValue[] args = _store.Arguments(sessionId, state is null ? 6 : 8);
            args[RedisSessionStore.Own(0)] = sessionId.ToString();
            args[RedisSessionStore.Own(1)] = owner ?? string.Empty;
            args[RedisSessionStore.Own(2)] = owner is null ? 0 : 1;
            args[RedisSessionStore.Own(3)] = metadataJson;
            args[RedisSessionStore.Own(4)] = incarnation;
            args[RedisSessionStore.Own(5)] = _store.MaxSessionsIn(_store.Keys.ShardOf(sessionId));
            if (state is not null)
            {
                args[RedisSessionStore.Own(6)] = state;
                args[RedisSessionStore.Own(7)] = ownerCap;
            }

            RedisResult[] reply;
            try
            {
                reply = (RedisResult[])(await _store.EvaluateAsync(
                    RedisScripts.Create, _store.Keys.Session(sessionId), args, cancellationToken).ConfigureAwait(false))!;
            }
            catch (Exception ex) when (ex is SessionStoreUnavailableException or OperationCanceledException)
            {
                // Redis may have created it all the same; the caller never learns the id from us, so take it back
                // (only that incarnation, only while unused).
                Defer(new PendingWrite(PendingWriteKind.Abandon, sessionId, incarnation));
                throw;
            }

            long status = (long)reply[0];
            if ((long)reply[2] == 1)
            {
                // An overdue session of the same id: this call ended it before reusing the id.
                Ended(Tombstone(sessionId, reply, 3));
            }

            if (status == 1)
            {
                Instant created = RedisSessionStore.FromMicros((long)reply[1]);
                var info = new SessionInfo(sessionId, created, created, owner, metadata);
                Started(info);
                return info;
            }

            if (status == 0)
            {
                throw new InvalidOperationException($"A live session with id {sessionId.Masked} already exists.");
            }

            if (status == -2)
            {
                throw new OwnerCapacityExceededException();
            }

            if (attempt > 0)
            {
                _telemetry.CapacityReached(_store.MaxSessions);
                throw new SessionCapacityExceededException(_store.MaxSessions);
            }

            // Overdue sessions still count until something ends them; end them before refusing.
            await SweepAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    /// <exception cref="SessionStoreUnavailableException">Redis cannot be reached or does not answer in time.</exception>
    public ValueTask<SessionLookup> LookupAsync(SessionId id, CancellationToken cancellationToken = default) =>
        VisitAsync(id, Access.Lookup, cancellationToken);

    /// <inheritdoc />
    /// <exception cref="SessionStoreUnavailableException">Redis cannot be reached or does not answer in time.</exception>
    public ValueTask<SessionLookup> TouchAsync(SessionId id, CancellationToken cancellationToken = default) =>
        VisitAsync(id, Access.Touch, cancellationToken);

    /// <inheritdoc />
    /// <exception cref="SessionStoreUnavailableException">Redis cannot be reached or does not answer in time.</exception>
    public async ValueTask<bool> EndAsync(SessionId id, ExpiryReason reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reason);
        if (id.IsEmpty)
        {
            return false;
        }

        RedisValue[] args = _store.Arguments(id, 3);
        args[RedisSessionStore.Own(0)] = id.ToString();
        args[RedisSessionStore.Own(1)] = reason.Code;
        args[RedisSessionStore.Own(2)] = RedisSessionStore.DescriptionToStore(reason);
        RedisResult[] reply;
        try
        {
            reply = (RedisResult[])(await _store.EvaluateAsync(
                RedisScripts.End, _store.Keys.Session(id), args, cancellationToken).ConfigureAwait(false))!;
        }
        catch (Exception ex) when (ex is SessionStoreUnavailableException or OperationCanceledException)
        {
            // Redis may have ended it all the same: then this replica's observers (its MCP server's copy of the
            // session, its metrics) must still hear of it, and no other replica's announcement tells them.
            Defer(new PendingWrite(PendingWriteKind.ConfirmEnd, id, reason.Code));
            throw;
        }

        long kind = (long)reply[0];
        if (kind == 0)
        {
            return false;
        }

        // Kind 3: the session was already past its deadline, so it ended for that reason, not this one.
        Ended(Tombstone(id, reply, 1));
        return kind == 1;
    }

    /// <inheritdoc />
    /// <remarks>The session space is shared: this ends the live sessions of every replica.</remarks>
    /// <exception cref="SessionStoreUnavailableException">Redis cannot be reached or does not answer in time.</exception>
    public async ValueTask<int> EndAllAsync(ExpiryReason reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reason);
        var ids = new List<SessionId>();
        _store.Requests.SendWaiting();
        try
        {
            for (int shard = 0; shard < _store.Keys.ShardCount; shard++)
            {
                await foreach (SortedSetEntry entry in _store.Database.SortedSetScanAsync(_store.Keys.Deadlines(shard), pageSize: 512)
                                   .WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    if (SessionId.TryParse((string?)entry.Element, out SessionId id))
                    {
                        ids.Add(id);
                    }
                }
            }
        }
        catch (Exception ex) when (RedisSessionStore.IsUnavailable(ex) || ex is RedisException)
        {
            throw RedisSessionStore.Unavailable(ex);
        }

        int ended = 0;
        foreach (SessionId[] chunk in ids.Chunk(64))
        {
            bool[] results = await Task.WhenAll(chunk.Select(id => EndAsync(id, reason, cancellationToken).AsTask())).ConfigureAwait(false);
            ended += results.Count(r => r);
        }

        return ended;
    }

    /// <inheritdoc />
    /// <remarks>The sum of every shard's schedule, read together (one round trip per shard, pipelined).</remarks>
    /// <exception cref="SessionStoreUnavailableException">Redis cannot be reached or does not answer in time.</exception>
    public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) =>
        _store.SumOverShardsAsync(shard => _store.Keys.Deadlines(shard), cancellationToken);

    /// <summary>Counts the tombstones in every shard's ledger index (tests, and the handle stores' harness).</summary>
    internal Task<int> LedgerCountAsync() =>
        _store.SumOverShardsAsync(shard => _store.Keys.Ledger(shard), CancellationToken.None).AsTask();

    /// <summary>Stops the lease renewals and disposes the standalone meter, if the registry created one.</summary>
    public void Dispose()
    {
        // Releases still waiting for the next request script go now, while the connection is still open.
        _store.Requests.SendWaiting();
        StopHeartbeat();
        _telemetry.Dispose();
    }

    private static Dictionary<string, string>? ParseMetadata(string? json) =>
        string.IsNullOrEmpty(json) ? null : JsonSerializer.Deserialize(json, RedisJsonContext.Default.DictionaryStringString);

    private async ValueTask<SessionLookup> VisitAsync(
        SessionId id, Access access, CancellationToken cancellationToken, string? leaseToken = null)
    {
        if (id.IsEmpty)
        {
            return SessionLookup.NotFound;
        }

        RedisResult[] reply = await EvaluateAccessAsync(id, access, leaseToken, checkOwner: false, owner: null, cancellationToken)
            .ConfigureAwait(false);
        return Answer(id, reply);
    }

    // One access script: look-up, touch or lease, with the owner compared first when asked (another owner's live
    // session is then left as it is and answered {3}).
    private async ValueTask<RedisResult[]> EvaluateAccessAsync(
        SessionId id, Access access, string? leaseToken, bool checkOwner, string? owner, CancellationToken cancellationToken)
    {
        RedisValue[] args = AccessArguments(id, access, leaseToken, checkOwner, owner);
        return (RedisResult[])(await _store.EvaluateAsync(
            RedisScripts.Access, _store.Keys.Session(id), args, cancellationToken).ConfigureAwait(false))!;
    }

    // The access script's arguments (see RedisScripts.Access).
    private RedisValue[] AccessArguments(SessionId id, Access access, string? leaseToken, bool checkOwner, string? owner)
    {
        RedisValue[] args = _store.Arguments(id, checkOwner ? 7 : 4);
        args[RedisSessionStore.Own(0)] = id.ToString();
        args[RedisSessionStore.Own(1)] = access switch
        {
            Access.Touch => "t",
            Access.Lease => "b",
            _ => "l",
        };
        args[RedisSessionStore.Own(2)] = _store.TouchToleranceMicros;
        args[RedisSessionStore.Own(3)] = leaseToken ?? string.Empty;
        if (checkOwner)
        {
            args[RedisSessionStore.Own(4)] = "c";
            args[RedisSessionStore.Own(5)] = owner is null ? 0 : 1;
            args[RedisSessionStore.Own(6)] = owner ?? string.Empty;
        }

        return args;
    }

    // Reads the access script's answer (see RedisScripts.Access); {3} (another owner's live session) reads as unknown.
    private SessionLookup Answer(SessionId id, RedisResult[] reply)
    {
        switch ((long)reply[0])
        {
            case 1:
                var info = new SessionInfo(
                    id,
                    RedisSessionStore.FromMicros((long)reply[1]),
                    RedisSessionStore.FromMicros((long)reply[2]),
                    (long)reply[4] == 1 ? (string?)reply[3] : null,
                    ParseMetadata((string?)reply[5]));
                return SessionLookup.Active(info);
            case 2:
                ExpiredSession tombstone = Tombstone(id, reply, 1);
                if ((long)reply[6] == 1)
                {
                    Ended(tombstone);
                }

                if ((long)reply[5] != 1)
                {
                    // Ended longer ago than the retention (or retention is zero): no tombstone is kept.
                    return SessionLookup.NotFound;
                }

                _telemetry.ExpiredLookup(tombstone.Reason);
                return SessionLookup.Expired(tombstone);
            default:
                return SessionLookup.NotFound;
        }
    }

    // reason, description, expired at, last active, recorded, ended by this call, owner, has owner, from reply[from].
    private ExpiredSession Tombstone(SessionId id, RedisResult[] reply, int from) => new(
        id,
        _store.Reason((string)reply[from]!, (string?)reply[from + 1]),
        RedisSessionStore.FromMicros((long)reply[from + 2]),
        RedisSessionStore.FromMicros((long)reply[from + 3]),
        reply.Length > from + 7 && (long)reply[from + 7] == 1 ? (string?)reply[from + 6] : null);

    private void Started(SessionInfo info) => _telemetry.SessionStarted(info);

    private void Ended(ExpiredSession tombstone) => _telemetry.SessionEnded(tombstone);
}
