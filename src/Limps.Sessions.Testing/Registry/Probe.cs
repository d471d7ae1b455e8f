namespace Limps.Sessions.Testing;

/// <summary>How a test asks the registry about a session (see <see cref="RegistryHarness.AskAsync"/>).</summary>
public enum Probe
{
    /// <summary><see cref="ISessionRegistry.LookupAsync"/>: without recording activity.</summary>
    Lookup,

    /// <summary><see cref="ISessionRegistry.TouchAsync"/>: recording activity.</summary>
    Touch,

    /// <summary><see cref="ISessionRegistry.BeginLeaseAsync"/>, released at once.</summary>
    Lease,
}
