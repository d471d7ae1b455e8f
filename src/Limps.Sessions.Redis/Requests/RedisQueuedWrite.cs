using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>
/// One owner-checked compare-and-set of a handle's state that waits in a <see cref="RedisRequestLane"/>, and what its
/// caller awaits.
/// </summary>
internal sealed class RedisQueuedWrite : RedisQueuedResult<StateWrite>
{
    private readonly IRedisWriteReader _reader;

    public RedisQueuedWrite(IRedisWriteReader reader, SessionId id, string? owner, long expectedVersion, byte[] state)
        : base(id)
    {
        _reader = reader;
        Owner = owner;
        ExpectedVersion = expectedVersion;
        State = state;
    }

    /// <summary>Gets the caller (<see langword="null"/>: none); another owner's handle reads as unknown and is left untouched.</summary>
    public string? Owner { get; }

    /// <summary>Gets the version the caller read; the state is replaced only if it is still the one stored.</summary>
    public long ExpectedVersion { get; }

    /// <summary>Gets the new state as JSON.</summary>
    public byte[] State { get; }

    /// <inheritdoc />
    protected override StateWrite Read(RedisResult answer) => _reader.Read(this, answer);

    /// <inheritdoc />
    /// <remarks>
    /// A write whose script Redis did not answer in time may have been applied, as with any store: the caller is told the
    /// store did not answer. One given up before its script was sent never reaches Redis.
    /// </remarks>
    protected override Exception Failed(Exception failure) =>
        RedisSessionStore.IsFailure(failure) ? RedisSessionStore.Unavailable(failure) : failure;
}
