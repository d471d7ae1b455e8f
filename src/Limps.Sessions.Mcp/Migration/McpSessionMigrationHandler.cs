using System.Text.Json;
using Limps.Sessions.AspNetCore;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.AspNetCore;
using ModelContextProtocol.Protocol;

namespace Limps.Sessions.Mcp;

/// <summary>
/// Lets the MCP server of any process that shares the session registry serve a session another process created: the
/// MCP SDK keeps a session's state in the process that ran <c>initialize</c>, and asks this handler when a request
/// arrives for an id it does not know. Works with any <see cref="ISessionRegistry"/> that keeps session metadata
/// (<see cref="SessionInfo.Metadata"/>): the <c>initialize</c> parameters are kept as JSON under
/// <see cref="InitializeMetadataKey"/>, given to the registry when the session is created (through
/// <see cref="ISessionCreationFeature"/>). A process may take a session over while it is live in the registry and the
/// caller is its owner; its state then lives in both processes until the session ends.
/// </summary>
/// <remarks>
/// The in-memory registry is never shared between processes, so nothing is kept for it (a session costs no more
/// memory than without this handler). The registry is resolved on first use: the MCP SDK resolves this handler while
/// the app maps its endpoints, before options are validated at start-up.
/// </remarks>
internal sealed class McpSessionMigrationHandler(
    IServiceProvider services,
    ILogger<McpSessionMigrationHandler> logger) : ISessionMigrationHandler
{
    /// <summary>The metadata key under which a session's MCP <c>initialize</c> parameters are kept.</summary>
    public const string InitializeMetadataKey = "mcp.initialize";

    // A failing log provider must not turn an answer into a 500.
    private readonly ILogger _log = SessionTelemetry.NonThrowing(logger);

    private ISessionRegistry Registry => services.GetRequiredService<ISessionRegistry>();

    public ValueTask OnSessionInitializedAsync(
        HttpContext context,
        string sessionId,
        InitializeRequestParams initializeParams,
        CancellationToken cancellationToken)
    {
        if (Registry is InMemorySessionRegistry || !SessionId.TryParse(sessionId, out SessionId id))
        {
            return ValueTask.CompletedTask;
        }

        if (context.Features.Get<ISessionCreationFeature>() is not { } creation)
        {
            McpLog.InitializeNotKept(_log, id.Masked, "the endpoint has no Limps session check");
        }
        else if (context.Response.HasStarted)
        {
            // The session was registered as the answer started; its metadata cannot change any more.
            McpLog.InitializeNotKept(_log, id.Masked, "the answer had already started");
        }
        else
        {
            creation.Metadata[InitializeMetadataKey] = JsonSerializer.Serialize(initializeParams, McpJsonUtilities.DefaultOptions);
        }

        return ValueTask.CompletedTask;
    }

    public async ValueTask<InitializeRequestParams?> AllowSessionMigrationAsync(
        HttpContext context,
        string sessionId,
        CancellationToken cancellationToken)
    {
        if (!SessionId.TryParse(sessionId, out SessionId id))
        {
            return null;
        }

        SessionLookup lookup = await Registry.LookupAsync(id, cancellationToken).ConfigureAwait(false);
        if (!lookup.TryGetSession(out SessionInfo session))
        {
            McpLog.MigrationRefused(_log, id.Masked, "not live");
            return null;
        }

        if (!string.Equals(session.Owner, SessionOwner.KeyOf(context.User), StringComparison.Ordinal))
        {
            McpLog.MigrationRefused(_log, id.Masked, "bound to another user");
            return null;
        }

        if (!session.Metadata.TryGetValue(InitializeMetadataKey, out string? json) || string.IsNullOrEmpty(json))
        {
            McpLog.MigrationRefused(_log, id.Masked, "no initialize parameters were kept");
            return null;
        }

        InitializeRequestParams? parameters;
        try
        {
            parameters = JsonSerializer.Deserialize<InitializeRequestParams>(json, McpJsonUtilities.DefaultOptions);
        }
        catch (JsonException)
        {
            McpLog.MigrationRefused(_log, id.Masked, "the kept initialize parameters are not valid");
            return null;
        }

        if (parameters is not null)
        {
            McpLog.SessionMigrated(_log, id.Masked);
        }

        return parameters;
    }
}
