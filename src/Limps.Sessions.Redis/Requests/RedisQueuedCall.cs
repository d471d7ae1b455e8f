namespace Limps.Sessions.Redis;

/// <summary>
/// One call waiting in a <see cref="RedisRequestLane"/>: an owner-checked lease (its caller awaits <see cref="Lease"/>,
/// which carries the lease's token and owner), a release (nobody waits; a failure goes to the queue's release-failed
/// handler), or a handover: a session's release and its next lease in one call, as the lane merges them when both wait
/// for the same script.
/// </summary>
/// <param name="Id">The session.</param>
/// <param name="GivenBack">The token a release or handover gives back (<see langword="null"/> for a lease).</param>
/// <param name="ReleasedAt">When the released lease was given back, in µs rounded up (a release or handover only): the idle clock starts there.</param>
/// <param name="Lease">The lease, or <see langword="null"/> for a release.</param>
/// <param name="KeptBack">Whether a release already waited one script longer for its session's next lease (it goes with the next one).</param>
internal readonly record struct RedisQueuedCall(
    SessionId Id, string? GivenBack, long ReleasedAt, RedisQueuedLease? Lease, bool KeptBack = false)
{
    /// <summary>Whether this call is a release.</summary>
    public bool IsRelease => Lease is null;

    /// <summary>Whether this call is a handover (a release and a lease of one session).</summary>
    public bool IsHandover => Lease is not null && GivenBack is not null;

    /// <summary>Whether nobody waits for this call's lease any more (its caller gave up before it was sent).</summary>
    public bool IsAbandoned => Lease is { IsCompleted: true };

    /// <summary>How many arguments this call takes in the request script (see <see cref="RedisScripts.Requests"/>).</summary>
    public int ArgumentCount => IsRelease ? 4 : IsHandover ? 7 : 5;

    /// <summary>The release a handover carries, as a call of its own.</summary>
    public RedisQueuedCall ReleasePart => new(Id, GivenBack, ReleasedAt, null);
}
