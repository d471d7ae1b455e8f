using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>
/// Turns what the request script answered for one lease (or what failed it) into what the lease's request awaits. The
/// registry that queued the lease implements it; the lane only carries the lease.
/// </summary>
internal interface IRedisLeaseReader
{
    /// <summary>Reads the script's entry for the lease: the lease held, or why not.</summary>
    /// <exception cref="Exception">The entry cannot be read (stored data this library did not write); the request sees it.</exception>
    SessionLease Read(RedisQueuedLease lease, RedisResult answer);

    /// <summary>
    /// Answers what the lease's request throws when its script failed or the request gave up: Redis may have opened the
    /// lease all the same, so the reader has it released by its token.
    /// </summary>
    Exception Failed(RedisQueuedLease lease, Exception failure);
}
