using System.Security.Claims;
using System.Text.Json;
using Limps.Sessions.AspNetCore;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.AspNetCore;
using ModelContextProtocol.Protocol;
using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>
/// Lets the MCP server of any replica serve a session another replica created: the MCP SDK keeps a session's state
/// in the process that ran <c>initialize</c>, and asks this handler when a request arrives for an id it does not
/// know. The initialize parameters are kept with the session in Redis; a replica may take the session over while it is
/// live in the shared registry and the caller is its owner. Its state then lives on both replicas until the session
/// ends, when every replica releases its copy (see <see cref="RedisSessionStoreOptions.AnnounceEnds"/>).
/// </summary>
/// <remarks>
/// The MCP SDK resolves this handler while the app maps its endpoints; the registry (and so the Redis connection) is
/// only resolved on first use, so options errors and connection problems surface when the host starts, not there.
/// </remarks>
internal sealed class RedisSessionMigrationHandler(
    IServiceProvider services,
    ILogger<RedisSessionMigrationHandler> logger) : ISessionMigrationHandler
{

    private RedisSessionRegistry Registry => services.GetRequiredService<RedisSessionRegistry>();

    public async ValueTask OnSessionInitializedAsync(
        HttpContext context,
        string sessionId,
        InitializeRequestParams initializeParams,
        CancellationToken cancellationToken)
    {
        if (!SessionId.TryParse(sessionId, out SessionId id))
        {
            return;
        }

        RedisSessionStore store = Registry.Store;
        RedisValue[] args = store.Arguments(3);
        args[RedisSessionStore.Own(0)] = id.ToString();
        args[RedisSessionStore.Own(1)] = JsonSerializer.Serialize(initializeParams, McpJsonUtilities.DefaultOptions);

        // Registration normally follows within the same response; the pending copy only waits for it.
        args[RedisSessionStore.Own(2)] = (long)TimeSpan.FromMinutes(5).TotalMilliseconds;
        try
        {
            await store.EvaluateAsync(RedisScripts.StoreInitialize, store.Keys.Session(id), args, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (SessionStoreUnavailableException ex)
        {
            // The session still works on this replica; only a takeover elsewhere becomes impossible.
            RedisLog.InitializeNotStored(logger, id.Masked, ex);
        }
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
            RedisLog.MigrationRefused(logger, id.Masked, "not live");
            return null;
        }

        if (!string.Equals(session.Owner, SessionOwner.KeyOf(context.User), StringComparison.Ordinal))
        {
            RedisLog.MigrationRefused(logger, id.Masked, "bound to another user");
            return null;
        }

        RedisSessionStore store = Registry.Store;
        RedisValue json = await store.RunAsync(db => db.HashGetAsync(store.Keys.Session(id), "i"), cancellationToken)
            .ConfigureAwait(false);
        if (json.IsNullOrEmpty)
        {
            RedisLog.MigrationRefused(logger, id.Masked, "no initialize parameters were kept");
            return null;
        }

        InitializeRequestParams? parameters = JsonSerializer.Deserialize<InitializeRequestParams>(
            (string)json!, McpJsonUtilities.DefaultOptions);
        if (parameters is not null)
        {
            RedisLog.SessionMigrated(logger, id.Masked);
        }

        return parameters;
    }
}
