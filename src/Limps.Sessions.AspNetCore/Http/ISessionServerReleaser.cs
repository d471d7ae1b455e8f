using Microsoft.AspNetCore.Http;

namespace Limps.Sessions.AspNetCore;

/// <summary>
/// Frees the state that the server behind the session check keeps for a session (for example the MCP C# SDK's
/// in-memory session). Server integrations such as <c>Limps.Sessions.Mcp</c> register one in the container; the
/// HTTP adapter itself knows no server and works without any.
/// </summary>
/// <remarks>
/// The adapter calls <see cref="AddEndpoint"/> once for each endpoint (or middleware branch) it guards that accepts
/// DELETE, with the handler behind the check, and <see cref="ReleaseAsync"/> when it refuses a session the server had
/// already opened (the capacity was reached meanwhile). Releasing sessions that end later is the integration's own
/// business, usually as an <see cref="ISessionLifecycleObserver"/>: once one is registered, the check answers a DELETE
/// itself and leaves the release to it, which should first wait on <see cref="SessionRequestDrain"/> so the requests
/// admitted on the session finish. Implementations must not throw.
/// </remarks>
public interface ISessionServerReleaser
{
    /// <summary>Records the handler behind the session check of one guarded endpoint.</summary>
    /// <param name="path">The endpoint's route pattern or path, for example <c>/mcp</c>.</param>
    /// <param name="handler">The endpoint's own handler, which the session check does not run again.</param>
    void AddEndpoint(string path, RequestDelegate handler);

    /// <summary>Frees the server's state of a session now.</summary>
    /// <param name="id">The session.</param>
    /// <param name="owner">The session's owner key (<see cref="SessionOwner.KeyOf"/>), or <see langword="null"/>.</param>
    /// <returns>A task that completes when the server has let the session go (or the attempt failed and was logged).</returns>
    ValueTask ReleaseAsync(SessionId id, string? owner);
}
