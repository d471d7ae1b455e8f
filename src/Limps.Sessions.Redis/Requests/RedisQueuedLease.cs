using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>
/// One owner-checked lease that waits in a <see cref="RedisRequestLane"/>, and what its request awaits: the lease read
/// from the request script's entry that belongs to it, or the failure of the script that carried it.
/// </summary>
/// <remarks>
/// The registry reads the entry (<see cref="IRedisLeaseReader.Read"/>) on the thread that completes the lease, once the
/// answer has won against the request giving up, so a lease that was given up is never registered as held.
/// </remarks>
internal sealed class RedisQueuedLease : RedisQueuedResult<SessionLease>
{
    private readonly IRedisLeaseReader _reader;

    public RedisQueuedLease(IRedisLeaseReader reader, SessionId id, string token, string? owner)
        : base(id)
    {
        _reader = reader;
        Token = token;
        Owner = owner;
    }

    /// <summary>Gets the lease's token.</summary>
    public string Token { get; }

    /// <summary>Gets the caller's owner (<see langword="null"/>: none).</summary>
    public string? Owner { get; }

    /// <inheritdoc />
    protected override SessionLease Read(RedisResult answer) => _reader.Read(this, answer);

    /// <inheritdoc />
    protected override Exception Failed(Exception failure) => _reader.Failed(this, failure);
}
