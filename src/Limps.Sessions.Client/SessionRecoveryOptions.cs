namespace Limps.Sessions.Client;

/// <summary>Options of a <see cref="SessionRecoveryHandler"/>.</summary>
public sealed class SessionRecoveryOptions
{
    /// <summary>
    /// Gets or sets whether a <c>404</c> without a Limps answer code (a plain 404, as any MCP server sends for a
    /// session it no longer has) is recovered like <c>SESSION_EXPIRED</c> and <c>SESSION_NOT_FOUND</c>: re-initialize,
    /// then retry the request once. Default <see langword="true"/>.
    /// </summary>
    /// <remarks>
    /// The MCP specification (Streamable HTTP, session management) says a server answers 404 to a request whose
    /// session it has terminated, and that a client receiving it must start a new session; a compliant server does not
    /// run a request it answers that way, so the retry is as safe as after a Limps 404. What a plain 404 does not say is
    /// <em>why</em>: it can also come from a proxy or a wrong URL. Then the re-initialize fails too and the original 404
    /// is returned, at the cost of one extra <c>initialize</c>. Set <see langword="false"/> for servers whose 404 may
    /// follow a request that did run: a plain 404 is then returned untouched.
    /// </remarks>
    public bool RecoverFromPlainNotFound { get; set; } = true;

    /// <summary>
    /// Gets or sets how many recoveries in a row a session may have without any request on it succeeding in between.
    /// Once reached, the handler stops re-initializing that session and returns its 404s as they are. Default 3;
    /// 0 switches recovery off.
    /// </summary>
    public int MaxConsecutiveRecoveries { get; set; } = 3;

    /// <summary>
    /// Gets or sets the delay before the second recovery in a row; each further one waits twice as long, up to
    /// <see cref="MaxBackoff"/>. The first recovery after a success starts at once. Default 1 second.
    /// </summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the longest delay between two recoveries in a row. Default 30 seconds.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how long one re-initialize exchange (<c>initialize</c> and <c>notifications/initialized</c>) may
    /// take before it counts as failed. Default 30 seconds; <see cref="Timeout.InfiniteTimeSpan"/> waits indefinitely.
    /// </summary>
    public TimeSpan ReinitializeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how many sessions one handler tracks at once (one per <c>initialize</c> it saw). Past it, the
    /// session initialized longest ago is forgotten: its requests then pass through without recovery. Default 1,000.
    /// </summary>
    public int MaxTrackedSessions { get; set; } = 1_000;

    /// <summary>
    /// Gets or sets the time source of the backoff delays and the re-initialize timeout. Default
    /// <see cref="TimeProvider.System"/>; tests pass a fake one.
    /// </summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Throws when a value is out of range, naming the option.</summary>
    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(MaxConsecutiveRecoveries, nameof(MaxConsecutiveRecoveries));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxConsecutiveRecoveries, 100, nameof(MaxConsecutiveRecoveries));
        ArgumentOutOfRangeException.ThrowIfLessThan(InitialBackoff, TimeSpan.Zero, nameof(InitialBackoff));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBackoff, InitialBackoff, nameof(MaxBackoff));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxBackoff, TimeSpan.FromHours(1), nameof(MaxBackoff));
        if (ReinitializeTimeout != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ReinitializeTimeout, TimeSpan.Zero, nameof(ReinitializeTimeout));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTrackedSessions, 1, nameof(MaxTrackedSessions));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }

    /// <summary>The delay before a recovery that follows <paramref name="failedInARow"/> unsuccessful ones.</summary>
    internal TimeSpan BackoffBefore(int failedInARow)
    {
        if (failedInARow <= 0)
        {
            return TimeSpan.Zero;
        }

        double ticks = InitialBackoff.Ticks * Math.Pow(2, Math.Min(failedInARow - 1, 30));
        return ticks >= MaxBackoff.Ticks ? MaxBackoff : TimeSpan.FromTicks((long)ticks);
    }
}
