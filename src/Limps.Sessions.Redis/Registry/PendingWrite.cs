namespace Limps.Sessions.Redis;

/// <summary>
/// A store write left to do after a call failed: its command may or may not have run in Redis, and each of these is
/// harmless either way, so the heartbeat retries it until Redis answers.
/// </summary>
/// <param name="Kind">What to do.</param>
/// <param name="Id">The session.</param>
/// <param name="Token">The lease token, the incarnation, or the reason code of the end, by <paramref name="Kind"/>.</param>
internal readonly record struct PendingWrite(PendingWriteKind Kind, SessionId Id, string Token);
