using System.Diagnostics.Metrics;
using Limps.Sessions.Client;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds MCP session recovery to clients made by <c>IHttpClientFactory</c>.</summary>
public static class SessionRecoveryHttpClientBuilderExtensions
{
    /// <summary>
    /// Puts a <see cref="SessionRecoveryHandler"/> into the named client's handler pipeline, so a session the server
    /// lost (a <c>404</c> to a request with an <c>Mcp-Session-Id</c>) is re-initialized once and the request retried.
    /// </summary>
    /// <param name="builder">The client's builder, from <c>services.AddHttpClient(...)</c>.</param>
    /// <param name="configure">Sets the options of this client's handler; they are read when the handler is made.</param>
    /// <returns>The same builder, for chaining.</returns>
    /// <remarks>
    /// <para>
    /// The factory replaces a client's handlers every <c>HandlerLifetime</c> (two minutes by default). The sessions a
    /// handler tracks are kept per client name, outside the handler, so a session started before a rotation is still
    /// recovered after it. Options are named after the client (<c>services.Configure&lt;SessionRecoveryOptions&gt;(name, ...)</c>
    /// works too); logs go to the <c>Limps.Sessions.Client.SessionRecoveryHandler</c> category and counters to the
    /// <see cref="SessionRecoveryHandler.MeterName"/> meter of the container's <see cref="IMeterFactory"/>.
    /// </para>
    /// <para>
    /// To handle <see cref="SessionRecoveryHandler.SessionReplaced"/>, create the handler yourself and add it with
    /// <c>AddHttpMessageHandler</c>: handlers made by the factory are not reachable from application code.
    /// </para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static IHttpClientBuilder AddMcpSessionRecovery(
        this IHttpClientBuilder builder,
        Action<SessionRecoveryOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        string name = builder.Name;
        builder.Services.AddOptions<SessionRecoveryOptions>(name);
        if (configure is not null)
        {
            builder.Services.Configure(name, configure);
        }

        builder.Services.TryAddKeyedSingleton<SessionTable>(TableKey(name), static (_, _) => new SessionTable());
        return builder.AddHttpMessageHandler(services => new SessionRecoveryHandler(
            services.GetRequiredService<IOptionsMonitor<SessionRecoveryOptions>>().Get(name),
            services.GetService<ILoggerFactory>()?.CreateLogger<SessionRecoveryHandler>(),
            services.GetService<IMeterFactory>(),
            services.GetRequiredKeyedService<SessionTable>(TableKey(name))));
    }

    // Keyed by client name, with a prefix of our own so no other registration of the same name can collide.
    private static string TableKey(string clientName) => "Limps.Sessions.Client:" + clientName;
}
