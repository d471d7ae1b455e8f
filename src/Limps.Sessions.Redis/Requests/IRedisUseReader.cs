using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>
/// Turns what the request script answered for one handle use into what its caller awaits. The registry that queued
/// the use implements it; the lane only carries the use.
/// </summary>
internal interface IRedisUseReader
{
    /// <summary>Reads the script's entry for the use: the handle's state, or how it stands.</summary>
    /// <exception cref="Exception">The entry cannot be read (stored data this library did not write); the caller sees it.</exception>
    StateRead Read(RedisQueuedUse use, RedisResult answer);
}
