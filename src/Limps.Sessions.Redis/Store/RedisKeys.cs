using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>
/// Key names. The session space is split into <see cref="ShardCount"/> shards; every key of shard <c>k</c> starts with
/// <c>&lt;prefix&gt;{&lt;tag k&gt;}:</c>, so all of a shard's keys (its schedule, its ledger, its owners' indexes and
/// the sessions and tombstones that live in it) share one Redis Cluster hash slot, and each script, which touches one
/// session and its shard, touches one slot. A session lives in the shard its id hashes to (see <see cref="RedisShards"/>).
/// </summary>
internal sealed class RedisKeys
{
    private readonly string[] _bases;
    private readonly RedisValue[] _baseValues;
    private readonly RedisKey[] _deadlines;
    private readonly RedisKey[] _ledgers;

    public RedisKeys(string prefix, int shardCount = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardCount, 1);
        ShardCount = shardCount;
        _bases = new string[shardCount];
        _baseValues = new RedisValue[shardCount];
        _deadlines = new RedisKey[shardCount];
        _ledgers = new RedisKey[shardCount];
        for (int shard = 0; shard < shardCount; shard++)
        {
            string shardBase = prefix + "{" + RedisShards.Tag(shard, shardCount) + "}:";
            _bases[shard] = shardBase;
            _baseValues[shard] = shardBase;
            _deadlines[shard] = shardBase + "deadlines";
            _ledgers[shard] = shardBase + "ledger";
        }

        EndedChannel = RedisChannel.Literal(prefix + "ended");
    }

    public int ShardCount { get; }

    public RedisChannel EndedChannel { get; }

    /// <summary>Gets the shard a session (or handle) lives in.</summary>
    public int ShardOf(SessionId id) => RedisShards.Of(id.ToString(), ShardCount);

    /// <summary>Gets the shard of an owner's index of live handles (handles of that owner are minted into it).</summary>
    public int ShardOfOwner(string owner) => RedisShards.Of(owner, ShardCount);

    /// <summary>Gets the start of every key of a shard, hash tag included (the scripts' first argument).</summary>
    public string Base(int shard) => _bases[shard];

    /// <summary>Gets <see cref="Base"/> as a script argument.</summary>
    public RedisValue BaseValue(int shard) => _baseValues[shard];

    /// <summary>Gets a shard's schedule: the sorted set of its sessions by when to look at them next.</summary>
    public RedisKey Deadlines(int shard) => _deadlines[shard];

    /// <summary>Gets a shard's ledger index: its tombstones by recording order.</summary>
    public RedisKey Ledger(int shard) => _ledgers[shard];

    public RedisKey Session(SessionId id) => _bases[ShardOf(id)] + id.ToString() + ":s";

    public RedisKey Tombstone(SessionId id) => _bases[ShardOf(id)] + id.ToString() + ":t";

    /// <summary>The index of one owner's live handles (handle stores only), in the owner's shard.</summary>
    public RedisKey Owned(string owner) => _bases[ShardOfOwner(owner)] + "own:" + owner;
}
