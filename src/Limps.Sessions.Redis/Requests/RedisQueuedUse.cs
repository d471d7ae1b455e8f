using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>
/// One owner-checked use of a handle that waits in a <see cref="RedisRequestLane"/>: the look-up that records activity
/// and reads the handle's state, and what its caller awaits.
/// </summary>
internal sealed class RedisQueuedUse : RedisQueuedResult<StateRead>
{
    private readonly IRedisUseReader _reader;

    public RedisQueuedUse(IRedisUseReader reader, SessionId id, string? owner)
        : base(id)
    {
        _reader = reader;
        Owner = owner;
    }

    /// <summary>Gets the caller (<see langword="null"/>: none); another owner's handle reads as unknown and is left untouched.</summary>
    public string? Owner { get; }

    /// <inheritdoc />
    protected override StateRead Read(RedisResult answer) => _reader.Read(this, answer);

    /// <inheritdoc />
    /// <remarks>A use changes nothing a caller must undo: whether or not Redis ran it, the failure is all there is to say.</remarks>
    protected override Exception Failed(Exception failure) =>
        RedisSessionStore.IsFailure(failure) ? RedisSessionStore.Unavailable(failure) : failure;
}
