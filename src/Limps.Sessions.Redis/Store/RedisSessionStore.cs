using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using NodaTime;
using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>
/// What the Redis registry and ledger share: the connection, the key names, the settings turned into script
/// arguments and the clock. Sending scripts and commands, and turning Redis errors into
/// <see cref="SessionStoreUnavailableException"/>, is in <c>RedisSessionStore.Calls.cs</c>.
/// </summary>
internal sealed partial class RedisSessionStore
{
    private const long TicksPerMicrosecond = 10;
    private const int CommonArgumentCount = 13;
    private const int MaxInternedReasons = 1_000;

    private readonly IConnectionMultiplexer _connection;
    private readonly IClock _clock;
    private readonly TimeSpan _timeout;
    private readonly RedisValue _idleMicros;
    private readonly RedisValue _lifetimeMicros;
    private readonly RedisValue _retentionMicros;
    private readonly RedisValue[] _ledgerCapacity;
    private readonly int[] _maxSessionsPerShard;
    private readonly RedisValue _graceMillis;
    private readonly RedisValue _replicaId;
    private readonly RedisValue _skewMicros;
    private readonly RedisValue _announce;
    private readonly RedisValue _recheckMicros;
    private readonly ConcurrentDictionary<string, ExpiryReason> _reasons = new(StringComparer.Ordinal);
    private long _leases;

    public RedisSessionStore(
        IConnectionMultiplexer connection,
        LimpsSessionsOptions options,
        RedisSessionStoreOptions redisOptions,
        IClock clock,
        string? keyPrefix = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid();
        RedisSessionStoreOptionsValidator.ThrowIfInvalid(redisOptions);
        ArgumentNullException.ThrowIfNull(clock);
        _connection = connection;
        _clock = clock;
        _timeout = redisOptions.OperationTimeout;
        Database = connection.GetDatabase(redisOptions.Database);
        // A handle kind keeps its keys under a prefix of its own, derived from the validated one.
        keyPrefix ??= redisOptions.KeyPrefix;
        Keys = new RedisKeys(keyPrefix, redisOptions.ShardCount);
        Options = options;
        RedisOptions = redisOptions;
        ReplicaId = NewToken();
        MaxSessions = options.MaxSessions;
        // Each shard enforces its share of the capacities in the same script that adds to it (a script sees one shard
        // only). The shares add up to the capacity exactly; with one shard (the default) the share is all of it.
        ThrowIfShardsOutnumber(options.MaxSessions, "MaxSessions (or a handle kind's MaxHandles)", redisOptions.ShardCount);
        ThrowIfShardsOutnumber(options.MaxLedgerEntries, "MaxLedgerEntries", redisOptions.ShardCount);
        _maxSessionsPerShard = Shares(options.MaxSessions, redisOptions.ShardCount);
        TouchToleranceMicros = MicrosUp(redisOptions.TouchWriteTolerance.Ticks);
        LeaseMillis = (long)redisOptions.LeaseHolderTimeout.TotalMilliseconds;

        _idleMicros = MicrosUp(options.IdleTimeout.Ticks);
        _lifetimeMicros = MicrosUp(options.MaxLifetime.Ticks);
        _retentionMicros = MicrosUp(options.LedgerRetention.Ticks);
        _ledgerCapacity = [.. Shares(options.MaxLedgerEntries, redisOptions.ShardCount).Select(share => (RedisValue)share)];
        _graceMillis = (long)Math.Ceiling(redisOptions.Grace.TotalMilliseconds);
        _replicaId = ReplicaId;
        _skewMicros = MicrosUp(redisOptions.MaxClockSkew.Ticks);
        // Only the session space announces ends: every replica subscribes to its channel, none to a handle kind's.
        _announce = redisOptions.AnnounceEnds && keyPrefix == redisOptions.KeyPrefix ? 1 : 0;
        TimeSpan recheck = options.IdleTimeout > TimeSpan.Zero ? options.IdleTimeout : options.EffectiveSweepInterval;
        _recheckMicros = Math.Max(1, MicrosUp(recheck.Ticks));
        Requests = new RedisRequestQueue(this);
    }

    public IDatabase Database { get; }

    public RedisKeys Keys { get; }

    /// <summary>Gets the request path's leases and releases, sent together per shard.</summary>
    public RedisRequestQueue Requests { get; }

    public LimpsSessionsOptions Options { get; }

    public RedisSessionStoreOptions RedisOptions { get; }

    /// <summary>Gets the id of this registry instance among the replicas (its leases and announcements carry it).</summary>
    public string ReplicaId { get; }

    public int MaxSessions { get; }

    /// <summary>How many live sessions a shard may hold: its share of <see cref="MaxSessions"/> (see <see cref="Shares"/>).</summary>
    public int MaxSessionsIn(int shard) => _maxSessionsPerShard[shard];

    public long TouchToleranceMicros { get; }

    /// <summary>Gets how long a lease lives in Redis unless its holder renews it, in milliseconds.</summary>
    public long LeaseMillis { get; }

    public IConnectionMultiplexer Connection => _connection;

    public Instant Now() => _clock.GetCurrentInstant();

    public static Instant FromMicros(long micros) => Instant.FromUnixTimeTicks(micros * TicksPerMicrosecond);

    public static long MicrosUp(long ticks) => ticks <= 0 ? 0 : (ticks + TicksPerMicrosecond - 1) / TicksPerMicrosecond;

    public static long ToMicrosUp(Instant instant)
    {
        long ticks = instant.ToUnixTimeTicks();
        long micros = Math.DivRem(ticks, TicksPerMicrosecond, out long rest);
        return rest > 0 ? micros + 1 : micros;
    }

    public static long ToMicrosDown(Instant instant)
    {
        long ticks = instant.ToUnixTimeTicks();
        long micros = Math.DivRem(ticks, TicksPerMicrosecond, out long rest);
        return rest < 0 ? micros - 1 : micros;
    }

    /// <summary>
    /// A lease token unique among every replica's leases: this store's random id and a counter. Cheaper than a random
    /// token (no call into the system's random source on every request), and as good: a token only has to tell one
    /// lease from another, it guards nothing.
    /// </summary>
    public string NextLeaseToken() =>
        string.Create(CultureInfo.InvariantCulture, $"{ReplicaId}.{(ulong)Interlocked.Increment(ref _leases):x}");

    /// <summary>A fresh random token (replica ids, session incarnations).</summary>
    public static string NewToken()
    {
        Span<byte> bytes = stackalloc byte[9];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');
    }

    /// <summary>
    /// A capacity divided among shards so that the shares add up to it exactly: each shard gets the quotient, and the
    /// first <c>total mod shardCount</c> shards one more.
    /// </summary>
    public static int[] Shares(int total, int shardCount)
    {
        int quotient = Math.DivRem(total, shardCount, out int remainder);
        var shares = new int[shardCount];
        for (int shard = 0; shard < shardCount; shard++)
        {
            shares[shard] = quotient + (shard < remainder ? 1 : 0);
        }

        return shares;
    }

    // A shard with a share of nothing would refuse every session whose id lands in it: fail at start-up instead.
    private static void ThrowIfShardsOutnumber(int capacity, string name, int shardCount)
    {
        if (shardCount > 1 && capacity < shardCount)
        {
            throw new ArgumentException(
                $"{name} is {capacity}, fewer than Limps:Sessions:Redis:ShardCount ({shardCount}): every shard holds an " +
                $"equal share of each capacity, so each capacity must be at least the shard count. Set " +
                $"Limps:Sessions:Redis:ShardCount to {capacity} or less, or the capacity to {shardCount} or more.");
        }
    }

    /// <summary>Builds the arguments of a script about one session: it runs in the session's shard.</summary>
    public RedisValue[] Arguments(SessionId id, int extra) => Arguments(Keys.ShardOf(id), extra);

    /// <summary>
    /// Builds the arguments of a script that runs in one shard: the common ones (the shard's key base, the clock read
    /// now, the settings), then its own.
    /// </summary>
    public RedisValue[] Arguments(int shard, int extra)
    {
        long ticks = _clock.GetCurrentInstant().ToUnixTimeTicks();
        long down = Math.DivRem(ticks, TicksPerMicrosecond, out long rest);
        if (rest < 0)
        {
            // Floor, also before 1970.
            down--;
            rest += TicksPerMicrosecond;
        }

        long up = rest == 0 ? down : down + 1;
        var args = new RedisValue[CommonArgumentCount + extra];
        args[0] = Keys.BaseValue(shard);
        args[1] = down;
        args[2] = up;
        args[3] = _idleMicros;
        args[4] = _lifetimeMicros;
        args[5] = _retentionMicros;
        args[6] = _ledgerCapacity[shard];
        args[7] = _graceMillis;
        args[8] = _replicaId;
        args[9] = _skewMicros;
        args[10] = _announce;
        args[11] = _recheckMicros;
        args[12] = LeaseMillis;
        return args;
    }

    /// <summary>Index of a script's first own argument in the array <see cref="Arguments(int, int)"/> returns.</summary>
    public static int Own(int index) => CommonArgumentCount + index;

    /// <summary>Drops every shard's tombstones past retention or its capacity (one script per shard, sent together).</summary>
    public async ValueTask<int> PruneAsync(CancellationToken cancellationToken)
    {
        var prunes = new Task<RedisResult>[Keys.ShardCount];
        for (int shard = 0; shard < prunes.Length; shard++)
        {
            prunes[shard] = EvaluateAsync(RedisScripts.Prune, Keys.Ledger(shard), Arguments(shard, 0), cancellationToken);
        }

        RedisResult[] dropped = await Task.WhenAll(prunes).ConfigureAwait(false);
        return dropped.Sum(result => (int)(long)result);
    }

    /// <summary>Sums the sizes of one sorted set per shard (a schedule or a ledger index), read together.</summary>
    public async ValueTask<int> SumOverShardsAsync(Func<int, RedisKey> key, CancellationToken cancellationToken)
    {
        if (Keys.ShardCount == 1)
        {
            return (int)await RunAsync(db => db.SortedSetLengthAsync(key(0)), cancellationToken).ConfigureAwait(false);
        }

        var lengths = new Task<long>[Keys.ShardCount];
        for (int shard = 0; shard < lengths.Length; shard++)
        {
            RedisKey shardKey = key(shard);
            lengths[shard] = RunAsync(db => db.SortedSetLengthAsync(shardKey), cancellationToken);
        }

        long[] counts = await Task.WhenAll(lengths).ConfigureAwait(false);
        return (int)counts.Sum();
    }

    /// <summary>Turns a stored reason code (and the description kept for a custom one) back into a reason.</summary>
    public ExpiryReason Reason(string code, string? description)
    {
        if (!ExpiryReason.IsValidCode(code))
        {
            // Not written by this library; never throw on what a store returns.
            code = "unknown";
        }

        string key = string.IsNullOrEmpty(description) ? code : code + "\n" + description;
        if (_reasons.TryGetValue(key, out ExpiryReason? known))
        {
            return known;
        }

        ExpiryReason reason = ExpiryReason.FromCode(code, description);

        // One shared instance per reason; the bound only matters if something else writes odd reasons to the store.
        return _reasons.Count < MaxInternedReasons ? _reasons.GetOrAdd(key, reason) : reason;
    }

    /// <summary>The description stored with a reason: only custom reasons need one (built-in codes map back by code).</summary>
    public static string DescriptionToStore(ExpiryReason reason)
    {
        ExpiryReason builtIn = ExpiryReason.FromCode(reason.Code);
        return ReferenceEquals(builtIn, ExpiryReason.Timeout) || ReferenceEquals(builtIn, ExpiryReason.Closed)
            || ReferenceEquals(builtIn, ExpiryReason.Deleted) || ReferenceEquals(builtIn, ExpiryReason.Evicted)
            || ReferenceEquals(builtIn, ExpiryReason.Lifetime)
            ? string.Empty
            : reason.Description;
    }

    public static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);
}
