namespace Limps.Sessions.Redis;

/// <summary>
/// One call waiting in a <see cref="RedisRequestLane"/>: an owner-checked lease (its caller awaits <see cref="Lease"/>)
/// or a release (nobody waits; a failure goes to the queue's release-failed handler).
/// </summary>
/// <param name="Id">The session.</param>
/// <param name="Token">The lease's token.</param>
/// <param name="Owner">The caller's owner (a lease only; <see langword="null"/>: none).</param>
/// <param name="ReleasedAt">When the lease was given back, in µs rounded up (a release only): the idle clock starts there.</param>
/// <param name="Lease">The lease's answer, or <see langword="null"/> for a release.</param>
internal readonly record struct RedisQueuedCall(
    SessionId Id, string Token, string? Owner, long ReleasedAt, RedisQueuedLease? Lease)
{
    /// <summary>Whether this call is a release.</summary>
    public bool IsRelease => Lease is null;

    /// <summary>Whether nobody waits for this call any more (its caller gave up before it was sent).</summary>
    public bool IsAbandoned => Lease is { Task.IsCompleted: true };
}
