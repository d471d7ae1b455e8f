using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>
/// Turns what the request script answered for one handle state write into what its caller awaits. The registry that
/// queued the write implements it; the lane only carries the write.
/// </summary>
internal interface IRedisWriteReader
{
    /// <summary>Reads the script's entry for the write: written, a newer state to retry on, or how the handle stands.</summary>
    /// <exception cref="Exception">The entry cannot be read (stored data this library did not write); the caller sees it.</exception>
    StateWrite Read(RedisQueuedWrite write, RedisResult answer);
}
