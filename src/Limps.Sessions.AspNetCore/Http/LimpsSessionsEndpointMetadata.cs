namespace Limps.Sessions.AspNetCore;

/// <summary>
/// Endpoint metadata that marks an endpoint guarded by the Limps session check (<c>WithLimpsSessions()</c>). Server
/// integrations read it at start-up to warn about endpoints left without the check.
/// </summary>
public sealed class LimpsSessionsEndpointMetadata
{
    private LimpsSessionsEndpointMetadata()
    {
    }

    /// <summary>Gets the one instance.</summary>
    public static LimpsSessionsEndpointMetadata Instance { get; } = new();
}
