using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Limps.Sessions.Client;

/// <summary>
/// A <see cref="DelegatingHandler"/> that keeps an MCP Streamable HTTP session working across server-side session loss:
/// when a request that carried an <c>Mcp-Session-Id</c> is answered <c>404</c> (Limps's <c>SESSION_EXPIRED</c> or
/// <c>SESSION_NOT_FOUND</c>, or a plain 404 from any MCP server), it starts a new session by replaying the
/// <c>initialize</c> and <c>notifications/initialized</c> the session began with, and retries the request once on the
/// new session. The caller never sees the 404 and keeps sending the id it knows: the handler rewrites it to the new id
/// on every later request, and the new id back to the caller's in responses.
/// </summary>
/// <remarks>
/// <para>
/// Put it under any <see cref="HttpClient"/>, including the one given to the MCP C# SDK's <c>HttpClientTransport</c>:
/// <c>new HttpClient(new SessionRecoveryHandler())</c>. The SDK stores the id of its <c>initialize</c> answer, sends it
/// on every request, and ends its client on the first 404; with this handler below it, it keeps working.
/// </para>
/// <para>
/// What it tracks: every <c>POST initialize</c> without a session id that is answered with an <c>Mcp-Session-Id</c>
/// starts a tracked session (its request is kept for replay), and the first <c>notifications/initialized</c> sent on
/// it is kept too. Requests with an id the handler did not see start (for example a session resumed with
/// <c>KnownSessionId</c>) and requests without an id (such as the SDK's <c>server/discover</c> probe) pass through
/// untouched.
/// </para>
/// <para>
/// Recovery: a <c>404</c> to a <c>POST</c> or <c>GET</c> on a tracked session starts one re-initialize (the replayed
/// <c>initialize</c> without a session id, then the replayed <c>notifications/initialized</c> with the new id), then
/// the failed request is sent once more with the new id. A Limps 404 means the request never ran, so the retry is
/// safe; for a plain 404 see <see cref="SessionRecoveryOptions.RecoverFromPlainNotFound"/> (on by default: the MCP
/// specification makes a 404 to a request with a session id mean "this session is gone, start a new one"). A failed
/// <c>GET</c> (the standalone SSE stream) is reopened the same way, on the new session, without a
/// <c>Last-Event-ID</c>. A <c>DELETE</c> answered 404 is returned as is and the session is forgotten.
/// </para>
/// <para>
/// It never loops: each failed request causes at most one re-initialize and one retry; if the retry is answered 404
/// too, or the re-initialize fails, the original 404 is returned. Requests that fail together share one re-initialize.
/// Recoveries in a row with no successful request in between wait an exponential backoff
/// (<see cref="SessionRecoveryOptions.InitialBackoff"/>, doubling, at most <see cref="SessionRecoveryOptions.MaxBackoff"/>),
/// and after <see cref="SessionRecoveryOptions.MaxConsecutiveRecoveries"/> the session's 404s are returned as they are.
/// </para>
/// <para>
/// Observability: <see cref="SessionReplaced"/> (with masked ids and the reason) so an app can restore its
/// subscriptions; source-generated logs with masked ids; counters of the <see cref="MeterName"/> meter.
/// The synchronous <see cref="HttpMessageHandler"/> send path blocks on the asynchronous one.
/// </para>
/// </remarks>
public sealed partial class SessionRecoveryHandler : DelegatingHandler
{
    /// <summary>The name of the <see cref="Meter"/> whose counters the handler updates.</summary>
    /// <remarks>
    /// Counters (tags never carry ids): <c>limps.sessions.client.sessions_lost</c> (tag <c>reason</c>:
    /// <c>expired</c>, <c>not_found</c>, <c>plain_404</c>), <c>limps.sessions.client.reinitializations</c>
    /// (tags <c>outcome</c>: <c>succeeded</c>/<c>failed</c>, and <c>reason</c>), <c>limps.sessions.client.retries</c>
    /// (tag <c>outcome</c>).
    /// </remarks>
    public const string MeterName = "Limps.Sessions.Client";

    private static readonly TimeSpan CleanupDeleteTimeout = TimeSpan.FromSeconds(5);

    private readonly SessionRecoveryOptions _options;
    private readonly ILogger _logger;
    private readonly ClientMetrics _metrics;
    private readonly SessionTable _table;
    private readonly ConcurrentDictionary<string, TrackedSession> _sessions;
    private readonly bool _ownsTable;
    private readonly CancellationTokenSource _disposed = new();
    private readonly CancellationToken _disposedToken;

    /// <summary>Creates the handler over a new <see cref="HttpClientHandler"/>, with default options.</summary>
    public SessionRecoveryHandler()
        : this(new HttpClientHandler())
    {
    }

    /// <summary>
    /// Creates the handler without an inner handler, for pipelines that set <see cref="DelegatingHandler.InnerHandler"/>
    /// themselves (such as <c>IHttpClientFactory</c>'s <c>AddHttpMessageHandler</c>).
    /// </summary>
    /// <param name="options">The options; <see langword="null"/> for the defaults. They are read once, here.</param>
    /// <param name="logger">Where to log; <see langword="null"/> for none.</param>
    /// <param name="meterFactory">Creates the <see cref="MeterName"/> meter; <see langword="null"/> for a meter of the handler's own.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public SessionRecoveryHandler(SessionRecoveryOptions? options, ILogger? logger, IMeterFactory? meterFactory)
        : this(options, logger, meterFactory, table: null)
    {
    }

    /// <summary>
    /// Creates a handler whose tracked sessions live in <paramref name="table"/>, so they outlive the handler: the
    /// <c>IHttpClientFactory</c> replaces its handlers every few minutes, while a session lives as long as the client
    /// that holds its id.
    /// </summary>
    internal SessionRecoveryHandler(SessionRecoveryOptions? options, ILogger? logger, IMeterFactory? meterFactory, SessionTable? table)
    {
        _options = Copy(options ?? new SessionRecoveryOptions());
        _options.Validate();
        _logger = logger ?? NullLogger.Instance;
        _metrics = new ClientMetrics(meterFactory);
        _ownsTable = table is null;
        _table = table ?? new SessionTable();
        _sessions = _table.Sessions;
        _disposedToken = _disposed.Token;
    }

    /// <summary>Creates the handler over <paramref name="innerHandler"/>.</summary>
    /// <param name="innerHandler">The handler that sends the requests (for example a <see cref="SocketsHttpHandler"/>).</param>
    /// <param name="options">The options; <see langword="null"/> (the default) for the defaults. They are read once, here.</param>
    /// <param name="logger">Where to log; <see langword="null"/> for none.</param>
    /// <param name="meterFactory">Creates the <see cref="MeterName"/> meter; <see langword="null"/> for a meter of the handler's own.</param>
    /// <exception cref="ArgumentNullException"><paramref name="innerHandler"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public SessionRecoveryHandler(
        HttpMessageHandler innerHandler,
        SessionRecoveryOptions? options = null,
        ILogger? logger = null,
        IMeterFactory? meterFactory = null)
        : this(options, logger, meterFactory)
    {
        ArgumentNullException.ThrowIfNull(innerHandler);
        InnerHandler = innerHandler;
    }

    /// <summary>
    /// Raised after a session was replaced, before the failed request is retried: requests sent from a subscriber
    /// already go to the new session. Use it to restore what lived in the old session (for example resource
    /// subscriptions). It runs on the request's path: start work, do not block on it. Exceptions are logged and
    /// ignored.
    /// </summary>
    public event EventHandler<SessionReplacedEventArgs>? SessionReplaced;

    /// <inheritdoc />
    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
        SendAsync(request, cancellationToken).GetAwaiter().GetResult();

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_disposedToken.IsCancellationRequested, this);

        string? callerId = McpWire.GetSessionId(request.Headers);
        if (callerId is null)
        {
            return request.Headers.Contains(McpWire.SessionIdHeader)
                ? await base.SendAsync(request, cancellationToken).ConfigureAwait(false) // a repeated header: the server's to judge
                : await SendWithoutSessionAsync(request, cancellationToken).ConfigureAwait(false);
        }

        return _sessions.TryGetValue(callerId, out TrackedSession? session)
            ? await SendOnSessionAsync(request, session, cancellationToken).ConfigureAwait(false)
            : await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed.IsCancellationRequested)
        {
            _disposed.Cancel();
            _disposed.Dispose();
            _metrics.Dispose();
            if (_ownsTable)
            {
                _sessions.Clear();
            }
        }

        base.Dispose(disposing);
    }

    private static SessionRecoveryOptions Copy(SessionRecoveryOptions options) => new()
    {
        RecoverFromPlainNotFound = options.RecoverFromPlainNotFound,
        MaxConsecutiveRecoveries = options.MaxConsecutiveRecoveries,
        InitialBackoff = options.InitialBackoff,
        MaxBackoff = options.MaxBackoff,
        ReinitializeTimeout = options.ReinitializeTimeout,
        MaxTrackedSessions = options.MaxTrackedSessions,
        TimeProvider = options.TimeProvider,
    };

    private static async Task<byte[]> BufferAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
        return await content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
    }
}
