namespace Limps.Sessions.Redis;

/// <summary>The answer of a compare-and-set of a handle's state.</summary>
internal readonly record struct StateWrite(StateWriteOutcome Outcome, StateRead Current, long Version);
