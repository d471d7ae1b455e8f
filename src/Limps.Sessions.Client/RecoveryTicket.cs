namespace Limps.Sessions.Client;

/// <summary>The answer of <see cref="TrackedSession.BeginRecovery"/>.</summary>
/// <param name="Role">What the request does next.</param>
/// <param name="NewSessionId">Completes with the id to retry with, or null when the recovery failed.</param>
/// <param name="FailedInARow">For <see cref="RecoveryRole.Lead"/>: how many recoveries failed in a row before this one.</param>
internal readonly record struct RecoveryTicket(RecoveryRole Role, Task<string?> NewSessionId, int FailedInARow);
