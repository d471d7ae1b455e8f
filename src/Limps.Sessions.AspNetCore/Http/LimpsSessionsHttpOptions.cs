namespace Limps.Sessions.AspNetCore;

/// <summary>
/// How the HTTP adapter answers. Bound from the same <c>Limps:Sessions</c> section as
/// <see cref="LimpsSessionsOptions"/> and validated at start-up.
/// </summary>
public sealed class LimpsSessionsHttpOptions
{
    /// <summary>
    /// Gets or sets whether error bodies are JSON-RPC error envelopes
    /// (<c>{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":...,"data":{...}}}</c>) instead of plain JSON
    /// objects, for clients that parse JSON-RPC only. Status codes and headers are the same. Default: <see langword="false"/>.
    /// </summary>
    public bool UseJsonRpcErrors { get; set; }

    /// <summary>
    /// Gets or sets whether the SESSION_EXPIRED body carries the reason's human <c>description</c> as well as its
    /// code. Default: <see langword="false"/>.
    /// </summary>
    public bool IncludeReasonDescription { get; set; }

    /// <summary>
    /// Gets or sets the <c>Retry-After</c> sent with 503 when no session can be created. Default: 5 seconds.
    /// Allowed: 1 second to 1 hour.
    /// </summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets or sets how long the release of an ended session's server state waits for the requests already admitted
    /// on it in this process (POSTs; a standalone GET stream is not waited for) before it frees the state anyway, and
    /// how long one release may take before the next ones stop waiting for it. Default: 5 seconds. Allowed: 0 to 5
    /// minutes.
    /// </summary>
    public TimeSpan ReleaseDrainTimeout { get; set; } = TimeSpan.FromSeconds(5);

    internal static TimeSpan MaxReleaseDrainTimeout { get; } = TimeSpan.FromMinutes(5);

    internal static TimeSpan MinRetryAfter { get; } = TimeSpan.FromSeconds(1);

    internal static TimeSpan MaxRetryAfter { get; } = TimeSpan.FromHours(1);
}
