using Microsoft.AspNetCore.Http;

namespace Limps.Sessions.Mcp;

/// <summary>
/// Remembers how to reach each MCP endpoint's own DELETE handler, so the server's session state can be released
/// in-process when Limps ends a session. There is no other public way to end an MCP SDK session by id.
/// </summary>
internal sealed class McpEndpointTracker
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ReleaseTarget> _targets = new(StringComparer.Ordinal);

    public IReadOnlyList<ReleaseTarget> Targets
    {
        get
        {
            lock (_lock)
            {
                return [.. _targets.Values];
            }
        }
    }

    /// <summary>Adds or replaces the DELETE handler for a route (conventions can run more than once).</summary>
    public void Track(string path, RequestDelegate deleteHandler)
    {
        lock (_lock)
        {
            _targets[path] = new ReleaseTarget(path, deleteHandler);
        }
    }

    internal sealed record ReleaseTarget(string Path, RequestDelegate DeleteHandler);
}
