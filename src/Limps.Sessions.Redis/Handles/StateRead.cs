namespace Limps.Sessions.Redis;

/// <summary>
/// A handle as one script read it for a caller: how it stands, whether it belongs to someone else (then it reads as
/// unknown), and when live its state as JSON and that state's version.
/// </summary>
internal readonly record struct StateRead(SessionLookup Lookup, bool Foreign, byte[]? State, long Version);
