namespace Limps.Sessions.Redis;

/// <summary>
/// One call waiting in a <see cref="RedisRequestLane"/>: an owner-checked lease (its caller awaits <see cref="Lease"/>,
/// which carries the lease's token and owner), a release (nobody waits; a failure goes to the queue's release-failed
/// handler), a handover: a session's release and its next lease in one call, as the lane merges them when both wait
/// for the same script, an owner-checked use of a handle (its caller awaits <see cref="Use"/>), or an owner-checked
/// compare-and-set of a handle's state (its caller awaits <see cref="Write"/>).
/// </summary>
/// <param name="Id">The session (or handle).</param>
/// <param name="GivenBack">The token a release or handover gives back (<see langword="null"/> for a lease or a use).</param>
/// <param name="ReleasedAt">When the released lease was given back, in µs rounded up (a release or handover only): the idle clock starts there.</param>
/// <param name="Waiter">The caller waiting for the call's answer (a <see cref="RedisQueuedLease"/>, <see cref="RedisQueuedUse"/> or <see cref="RedisQueuedWrite"/>), or <see langword="null"/> for a release.</param>
/// <param name="KeptBack">Whether a release already waited one script longer for its session's next lease (it goes with the next one).</param>
internal readonly record struct RedisQueuedCall(
    SessionId Id, string? GivenBack, long ReleasedAt, RedisQueuedWaiter? Waiter, bool KeptBack = false)
{
    /// <summary>Gets the lease of a lease or handover (<see langword="null"/> otherwise).</summary>
    public RedisQueuedLease? Lease => Waiter as RedisQueuedLease;

    /// <summary>Gets the use of a handle's use (<see langword="null"/> otherwise).</summary>
    public RedisQueuedUse? Use => Waiter as RedisQueuedUse;

    /// <summary>Gets the state write of a handle's compare-and-set (<see langword="null"/> otherwise).</summary>
    public RedisQueuedWrite? Write => Waiter as RedisQueuedWrite;

    /// <summary>Whether this call is a release.</summary>
    public bool IsRelease => Waiter is null;

    /// <summary>Whether this call is a handover (a release and a lease of one session).</summary>
    public bool IsHandover => Waiter is not null && GivenBack is not null;

    /// <summary>Whether nobody waits for this call's answer any more (its caller gave up before it was sent).</summary>
    public bool IsAbandoned => Waiter is { IsCompleted: true };

    /// <summary>How many arguments this call takes in the request script (see <see cref="RedisScripts.Requests"/>).</summary>
    public int ArgumentCount => Waiter switch
    {
        null => 4,
        RedisQueuedWrite => 6,
        _ => IsHandover ? 7 : 5,
    };

    /// <summary>The release a handover carries, as a call of its own.</summary>
    public RedisQueuedCall ReleasePart => new(Id, GivenBack, ReleasedAt, null);
}
