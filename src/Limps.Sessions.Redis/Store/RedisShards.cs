using System.Globalization;

namespace Limps.Sessions.Redis;

/// <summary>
/// How the session space is split into shards: which shard an id or an owner belongs to, and the hash tag each shard's
/// keys carry. Both are pure functions of their inputs and the shard count, so every replica (and every version of this
/// library) that uses the same count agrees on them.
/// </summary>
/// <remarks>
/// <para>Shard of an id or owner: FNV-1a (32 bits) over its UTF-16 code units, modulo the shard count. Not a security
/// boundary (ids are random already); only stable and cheap (no allocation).</para>
/// <para>Hash tag of shard <c>k</c> of <c>n</c>: the first of <c>k</c>, <c>k.1</c>, <c>k.2</c>, ... whose Redis Cluster
/// slot (CRC16 of the tag, modulo 16384) falls in the <c>k</c>-th of <c>n</c> equal slot ranges. A cluster created
/// with <c>redis-cli --cluster create</c> gives each master one contiguous, equal range, so the shards spread evenly
/// over its masters (plain tags <c>0..15</c> would put 6, 6 and 4 shards on three masters).</para>
/// </remarks>
internal static class RedisShards
{
    /// <summary>The number of hash slots of a Redis Cluster.</summary>
    public const int SlotCount = 16384;

    /// <summary>The largest shard count allowed (see <see cref="RedisSessionStoreOptions.ShardCount"/>).</summary>
    public const int MaxShardCount = 1024;

    /// <summary>Gets the shard of a key part (an id or an owner) among <paramref name="shardCount"/>.</summary>
    public static int Of(ReadOnlySpan<char> value, int shardCount)
    {
        if (shardCount <= 1)
        {
            return 0;
        }

        uint hash = 2166136261;
        foreach (char c in value)
        {
            hash = (hash ^ c) * 16777619;
        }

        return (int)(hash % (uint)shardCount);
    }

    /// <summary>Gets the hash tag of shard <paramref name="shard"/> of <paramref name="shardCount"/> (without braces).</summary>
    public static string Tag(int shard, int shardCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(shard, shardCount);
        int low = (int)((long)shard * SlotCount / shardCount);
        int high = (int)((long)(shard + 1) * SlotCount / shardCount);
        string plain = shard.ToString(CultureInfo.InvariantCulture);
        for (int attempt = 0; ; attempt++)
        {
            string tag = attempt == 0 ? plain : plain + "." + attempt.ToString(CultureInfo.InvariantCulture);
            int slot = Slot(tag);
            if (slot >= low && slot < high)
            {
                return tag;
            }
        }
    }

    /// <summary>The Redis Cluster hash slot of a hash tag's content: CRC16 (XMODEM) modulo 16384.</summary>
    public static int Slot(string tag)
    {
        int crc = 0;
        foreach (char c in tag)
        {
            // Tags are ASCII here; Redis hashes bytes, and for ASCII each char is one byte.
            crc ^= (byte)c << 8;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }

            crc &= 0xFFFF;
        }

        return crc % SlotCount;
    }
}
