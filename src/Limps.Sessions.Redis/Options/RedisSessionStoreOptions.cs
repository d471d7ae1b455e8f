using System.ComponentModel.DataAnnotations;

namespace Limps.Sessions.Redis;

/// <summary>
/// Settings of the Redis session store. Bound from the <see cref="SectionName"/> configuration section (for example
/// <c>Limps__Sessions__Redis__KeyPrefix=myapp:</c> from the environment) and validated when the host starts; a bad
/// value stops start-up with a message that names its key. The lifecycle itself (idle timeout, retention, capacities)
/// still comes from <see cref="LimpsSessionsOptions"/>, and every replica must use the same values.
/// </summary>
public sealed class RedisSessionStoreOptions : IValidatableObject
{
    /// <summary>The configuration section the options bind from: <c>Limps:Sessions:Redis</c>.</summary>
    public const string SectionName = "Limps:Sessions:Redis";

    /// <summary>
    /// Gets or sets the StackExchange.Redis configuration string (for example <c>redis:6379,password=...</c>) used
    /// when no connection is given in code and none is registered in the container.
    /// </summary>
    public string? Configuration { get; set; }

    /// <summary>
    /// Gets or sets the prefix of every key (and of the notification channel). Replicas that share sessions use the
    /// same prefix; different applications on one Redis use different ones. Default: <c>limps:</c>. 1 to 64 visible
    /// ASCII characters, without <c>{</c> or <c>}</c> (they would change the keys' hash tags).
    /// </summary>
    [Required(ErrorMessage = "Limps:Sessions:Redis:KeyPrefix is required.")]
    [RegularExpression(@"^[\x21-\x7A\x7C\x7E]{1,64}$",
        ErrorMessage = "Limps:Sessions:Redis:KeyPrefix must be 1 to 64 visible ASCII characters without '{{' or '}}'.")]
    public string KeyPrefix { get; set; } = "limps:";

    /// <summary>
    /// Gets or sets the Redis database number; <c>-1</c> (the default) uses the connection's default database.
    /// Allowed: -1 to 15.
    /// </summary>
    [KeyedRange(-1, 15, ErrorMessage = "Limps:Sessions:Redis:Database must be between {1} and {2}.")]
    public int Database { get; set; } = -1;

    /// <summary>
    /// Gets or sets how long a session's keys outlive its idle deadline in Redis (their time to live is the time left
    /// to the deadline plus this). Sweeps end sessions with a tombstone well before that; the grace only matters when
    /// no replica sweeps for longer than it (then an overdue session vanishes and reads as unknown instead of
    /// expired). Keep it above several sweep intervals and above <see cref="TouchWriteTolerance"/>.
    /// Default: 10 minutes. Allowed: 1 second to 1 day.
    /// </summary>
    [KeyedRange(typeof(TimeSpan), "00:00:01", "1.00:00:00",
        ErrorMessage = "Limps:Sessions:Redis:Grace must be between {1} and {2}.")]
    public TimeSpan Grace { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Gets or sets how far a touch may move a session's last activity before it is written: a touch within this of
    /// the stored last activity answers in the same single round trip but writes nothing. The price: a session's
    /// recorded last activity (and so its idle deadline) can lag its real last touch by up to this much, so it may
    /// idle out up to this much early. Request leases (what the HTTP check uses) always record their start and end
    /// exactly. Default: 1 second. Allowed: 0 (write every touch) to 1 minute.
    /// </summary>
    [KeyedRange(typeof(TimeSpan), "00:00:00", "00:01:00",
        ErrorMessage = "Limps:Sessions:Redis:TouchWriteTolerance must be between {1} and {2}.")]
    public TimeSpan TouchWriteTolerance { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Gets or sets how long a call may wait for Redis before it fails with
    /// <see cref="SessionStoreUnavailableException"/> (HTTP hosts answer 503). Default: 2 seconds. Allowed: 10 ms to
    /// 1 minute.
    /// </summary>
    [KeyedRange(typeof(TimeSpan), "00:00:00.010", "00:01:00",
        ErrorMessage = "Limps:Sessions:Redis:OperationTimeout must be between {1} and {2}.")]
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Gets or sets how long a request lease lives in Redis unless its holder renews it. The replica that holds a lease
    /// renews it three times per period; a lease whose holder stopped (crashed, or lost Redis), or whose answer never
    /// reached its caller (it came after <see cref="OperationTimeout"/>), lapses after this long, and the next sweep or
    /// lookup then restarts that session's idle clock. Keep it above the longest pause a healthy replica can take.
    /// Default: 30 seconds. Allowed: 3 seconds to 1 hour.
    /// </summary>
    [KeyedRange(typeof(TimeSpan), "00:00:03", "01:00:00",
        ErrorMessage = "Limps:Sessions:Redis:LeaseHolderTimeout must be between {1} and {2}.")]
    public TimeSpan LeaseHolderTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets the clock skew between a replica and Redis beyond which a replica's clock is not trusted to end
    /// sessions for timeout: when set, every end-for-timeout decision uses the smaller of the replica's time and
    /// Redis's own time (the <c>TIME</c> command) plus this skew, so a replica whose clock runs ahead ends sessions at
    /// most this much early. <see cref="TimeSpan.Zero"/> (the default) trusts the replicas' clocks (keep them
    /// NTP-synchronised). Allowed: 0 to 1 hour.
    /// </summary>
    [KeyedRange(typeof(TimeSpan), "00:00:00", "01:00:00",
        ErrorMessage = "Limps:Sessions:Redis:MaxClockSkew must be between {1} and {2} (00:00:00 turns the check off).")]
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Gets or sets how many due sessions one sweep script handles before it yields Redis to other clients (a sweep
    /// runs as many scripts as it needs). Default: 256. Allowed: 1 to 10,000.
    /// </summary>
    [KeyedRange(1, 10_000, ErrorMessage = "Limps:Sessions:Redis:SweepBatchSize must be between {1} and {2}.")]
    public int SweepBatchSize { get; set; } = 256;

    /// <summary>
    /// Gets or sets into how many shards the session space is split. Each shard's keys (its sessions, tombstones,
    /// schedule and ledger index) share one Redis Cluster hash slot, a session lives in the shard its id hashes to, and
    /// every script works in one shard; so on a Redis Cluster the shards, and the load, spread over the masters. Sweeps,
    /// counts and <see cref="ISessionRegistry.EndAllAsync"/> visit every shard. With more than one shard the capacities
    /// are enforced per shard: each shard holds at most its share (the total divided by the shard count, rounded up) of
    /// <see cref="LimpsSessionsOptions.MaxSessions"/> live sessions and of <see cref="LimpsSessionsOptions.MaxLedgerEntries"/>
    /// tombstones, so the totals are never exceeded but refusals can start a little before them, and the ledger drops
    /// the oldest tombstone of a shard rather than of all (a handle kind's per-owner cap stays exact: an owner's handles
    /// share a shard).
    /// Default: 1 (one slot, exactly the single-node behaviour; right for a standalone Redis). On a cluster, use a few
    /// shards per master, for example 16 for three to eight masters. Every replica must use the same count; changing it
    /// moves every key, so sessions in Redis at the time are lost. Allowed: 1 to 1024.
    /// </summary>
    [KeyedRange(1, RedisShards.MaxShardCount, ErrorMessage = "Limps:Sessions:Redis:ShardCount must be between {1} and {2}.")]
    public int ShardCount { get; set; } = 1;

    /// <summary>
    /// Gets or sets whether ends are announced on a Redis channel so that every replica's
    /// <see cref="ISessionLifecycleObserver"/>s hear of every end (those on the replica that ended it at once, the
    /// others through the channel, at most once and best effort). This is how each replica's MCP server releases its
    /// copy of a session that another replica ended. Default: <see langword="true"/>.
    /// </summary>
    public bool AnnounceEnds { get; set; } = true;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (TouchWriteTolerance >= Grace)
        {
            yield return new ValidationResult(
                $"{SectionName}:{nameof(TouchWriteTolerance)} ({TouchWriteTolerance}) must be less than "
                + $"{SectionName}:{nameof(Grace)} ({Grace}).",
                [nameof(TouchWriteTolerance)]);
        }
    }
}
