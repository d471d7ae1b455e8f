using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>A request lease held in Redis under its own token, by this replica.</summary>
/// <remarks>It keeps its session's key, so the release does not build it again.</remarks>
internal sealed class RedisSessionLease(RedisSessionRegistry registry, SessionId id, string token, RedisKey key, SessionLookup lookup)
    : SessionLease(lookup)
{
    public SessionId Id => id;

    public string Token => token;

    public RedisKey Key => key;

    /// <summary>Gets or sets the arguments of the release while it is on its way (they go back to their pool after).</summary>
    public RedisValue[]? Sent { get; set; }

    private Task<RedisResult>? _release;

    /// <summary>
    /// Has the registry look at the release's answer when it comes: a continuation on this lease (nothing to capture,
    /// no execution context to flow), not an async frame, since nobody waits for it.
    /// </summary>
    public void Observe(Task<RedisResult> release)
    {
        _release = release;
        release.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(OnReleaseAnswered);
    }

    protected override ValueTask ReleaseAsync() => registry.ReleaseLeaseAsync(this);

    // Runs on whichever thread completed the release: nothing may escape it, or it would stop the host.
    private void OnReleaseAnswered()
    {
        try
        {
            registry.OnReleaseAnswered(_release!, this);
        }
#pragma warning disable CA1031 // The lease lapses by itself if even the deferral failed.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
