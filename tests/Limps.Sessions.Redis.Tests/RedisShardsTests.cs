namespace Limps.Sessions.Redis.Tests;

/// <summary>
/// Which shard an id lives in and each shard's hash tag are part of the stored layout: every replica, and every later
/// version, must compute the same ones, or sessions written by one are not found by another.
/// </summary>
public class RedisShardsTests
{
    [Test]
    public void Shards_and_tags_are_pinned_so_every_replica_and_version_agrees()
    {
        RedisShards.Of("7VnbSKJuLBudKc7ge6USzw", 16).Should().Be(RedisShards.Of("7VnbSKJuLBudKc7ge6USzw", 16));
        RedisShards.Of("a", 16).Should().Be(12, "FNV-1a of 'a' is 0xE40C292C");
        RedisShards.Of("anything", 1).Should().Be(0);
        RedisShards.Tag(0, 1).Should().Be("0");
        RedisShards.Slot("0").Should().Be(13907, "the CRC16 Redis Cluster uses (CLUSTER KEYSLOT {0}x)");
        RedisShards.Slot("123456789").Should().Be(0x31C3 % 16384, "the CRC16/XMODEM check value");
        new RedisKeys("limps:", 1).Session(SessionId.Parse("abc")).ToString().Should().Be("limps:{0}:abc:s");
        new RedisKeys("limps:", 1).Deadlines(0).ToString().Should().Be("limps:{0}:deadlines");
    }

    [TestCase(3)]
    [TestCase(16)]
    [TestCase(100)]
    public void Each_shards_tag_falls_in_its_own_equal_share_of_the_slots(int shards)
    {
        for (int shard = 0; shard < shards; shard++)
        {
            int slot = RedisShards.Slot(RedisShards.Tag(shard, shards));
            slot.Should().BeGreaterThanOrEqualTo(shard * 16384 / shards).And.BeLessThan((shard + 1) * 16384 / shards);
        }
    }

    [Test]
    public void Random_ids_spread_evenly_over_the_shards()
    {
        int[] counts = new int[16];
        for (int i = 0; i < 16_000; i++)
        {
            counts[RedisShards.Of(SessionId.New().ToString(), 16)]++;
        }

        counts.Should().OnlyContain(count => count > 800 && count < 1200);
    }
}
