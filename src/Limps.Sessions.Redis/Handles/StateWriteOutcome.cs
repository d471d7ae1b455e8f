namespace Limps.Sessions.Redis;

/// <summary>What a compare-and-set of a handle's state came to.</summary>
internal enum StateWriteOutcome
{
    /// <summary>The new state is in place.</summary>
    Written,

    /// <summary>Another update came first; <see cref="StateWrite.Current"/> holds its state and version.</summary>
    Conflict,

    /// <summary>The handle is not live for this caller; <see cref="StateWrite.Current"/> says how it stands.</summary>
    NotLive,
}
