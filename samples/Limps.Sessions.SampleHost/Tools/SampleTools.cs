using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Limps.Sessions.AspNetCore;
using ModelContextProtocol.Server;
using NodaTime;

namespace Limps.Sessions.SampleHost.Tools;

/// <summary>The sample host's MCP tools.</summary>
/// <param name="registry">The Limps session registry.</param>
/// <param name="clock">The clock Limps decides expiry with.</param>
[McpServerToolType]
public sealed class SampleTools(ISessionRegistry registry, IClock clock)
{
    /// <summary>Returns the message unchanged.</summary>
    /// <param name="message">The text to echo.</param>
    /// <returns>The same text.</returns>
    [McpServerTool(Name = "echo"), Description("Echoes the message back.")]
    public static string Echo([Description("The text to echo back.")] string message) => message;

    /// <summary>Returns the server's current time.</summary>
    /// <returns>ISO-8601 UTC with milliseconds.</returns>
    [McpServerTool(Name = "time"), Description("Returns the server's current time (ISO-8601 UTC).")]
    public string Time() => Format(clock.GetCurrentInstant());

    /// <summary>Describes the caller's own session.</summary>
    /// <param name="server">The MCP session the call arrived on.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A JSON object: masked id, created, last active.</returns>
    [McpServerTool(Name = "session_info"), Description("Describes the caller's own session: masked id, when it was created and last active.")]
    public async Task<string> SessionInfo(McpServer server, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (!Sessions.SessionId.TryParse(server.SessionId, out SessionId id))
        {
            return JsonSerializer.Serialize(new { error = "This call did not arrive on a session." });
        }

        SessionLookup lookup = await registry.LookupAsync(id, cancellationToken);
        return lookup.TryGetSession(out SessionInfo session)
            ? JsonSerializer.Serialize(new
            {
                sessionId = id.Masked,
                createdAt = Format(session.CreatedAt),
                lastActiveAt = Format(session.LastActiveAt),
                headerName = SessionHeaders.SessionId,
            })
            : JsonSerializer.Serialize(new { sessionId = id.Masked, state = lookup.Kind.ToString() });
    }

    private static string Format(Instant instant) =>
        instant.ToString("uuuu-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
