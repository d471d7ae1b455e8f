namespace Limps.Sessions.Testing;

/// <summary>
/// A user-defined reason (code <c>revoked</c>), as applications write them: the suites use it to prove that a store
/// keeps subclassed reasons by code.
/// </summary>
public sealed class RevokedReason() : ExpiryReason("revoked", "An administrator revoked the session.");
