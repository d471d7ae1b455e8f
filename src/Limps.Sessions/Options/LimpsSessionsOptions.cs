using System.ComponentModel.DataAnnotations;

namespace Limps.Sessions;

/// <summary>
/// Settings of the session lifecycle. Bound from the <see cref="SectionName"/> configuration section
/// (for example <c>Limps__Sessions__IdleTimeout=00:00:05</c> from the environment) and validated when the host
/// starts; a bad value stops start-up with a message that names its key.
/// </summary>
public sealed class LimpsSessionsOptions
{
    /// <summary>The configuration section the options bind from: <c>Limps:Sessions</c>.</summary>
    public const string SectionName = "Limps:Sessions";

    /// <summary>
    /// Gets or sets how long a session may go unused before it expires with reason <c>timeout</c>.
    /// A session never idles out while a request lease is open. <see cref="TimeSpan.Zero"/> disables idle
    /// expiry. Default: 30 minutes. Allowed: 0 to 365 days.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "365.00:00:00",
        ErrorMessage = "Limps:Sessions:IdleTimeout must be between {1} and {2} (00:00:00 disables idle expiry).")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Gets or sets how long the tombstone of an ended session is kept, counted from the instant it expired.
    /// <see cref="TimeSpan.Zero"/> keeps none (every ended id then reads as unknown). Default: 24 hours.
    /// Allowed: 0 to 365 days.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "365.00:00:00",
        ErrorMessage = "Limps:Sessions:LedgerRetention must be between {1} and {2}.")]
    public TimeSpan LedgerRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Gets or sets how many tombstones the ledger keeps at most; past it the oldest go first, so a flood of
    /// short sessions cannot grow memory without limit. Default: 100,000. Allowed: 1 to 100,000,000.
    /// </summary>
    [KeyedRange(1, 100_000_000, ErrorMessage = "Limps:Sessions:MaxLedgerEntries must be between {1} and {2}.")]
    public int MaxLedgerEntries { get; set; } = 100_000;

    /// <summary>
    /// Gets or sets how many sessions may be live at once. Creating one more throws
    /// <see cref="SessionCapacityExceededException"/> (HTTP hosts answer 503). Default: 10,000.
    /// Allowed: 1 to 100,000,000.
    /// </summary>
    [KeyedRange(1, 100_000_000, ErrorMessage = "Limps:Sessions:MaxSessions must be between {1} and {2}.")]
    public int MaxSessions { get; set; } = 10_000;

    /// <summary>
    /// Gets or sets how often the background sweep ends idle sessions and prunes the ledger. The sweep never
    /// runs less often than once per <see cref="IdleTimeout"/> (see <see cref="EffectiveSweepInterval"/>).
    /// Correctness does not depend on it: a lookup of a session past its deadline reports it expired even
    /// before a sweep ran. Default: 1 minute. Allowed: 1 millisecond to 1 day.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00",
        ErrorMessage = "Limps:Sessions:SweepInterval must be between {1} and {2}.")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Gets or sets an absolute limit on a session's life, counted from its creation, after which it ends with
    /// reason <c>lifetime</c> as soon as no request is in flight. For deployments where a proxy may hold dead
    /// streams open. <see cref="TimeSpan.Zero"/> (the default) turns it off. Allowed: 0 to 365 days.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "365.00:00:00",
        ErrorMessage = "Limps:Sessions:MaxLifetime must be between {1} and {2} (00:00:00 turns it off).")]
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Gets or sets whether a graceful shutdown of the host ends the live sessions with reason <c>closed</c>.
    /// Default: <see langword="true"/>. A store shared by several replicas (Redis) turns it off, so that a rolling
    /// restart of one replica does not close the sessions every replica serves.
    /// </summary>
    public bool CloseSessionsOnShutdown { get; set; } = true;

    /// <summary>
    /// Gets the interval the sweeper really uses: <see cref="SweepInterval"/>, shortened to
    /// <see cref="IdleTimeout"/> when that is shorter and enabled.
    /// </summary>
    public TimeSpan EffectiveSweepInterval =>
        IdleTimeout > TimeSpan.Zero && IdleTimeout < SweepInterval ? IdleTimeout : SweepInterval;

    /// <summary>
    /// Throws when a value is out of range, with a message that names its configuration key. Hosts validate the
    /// options at start-up; a store validates them in its constructor, as the in-memory and Redis ones do.
    /// </summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">A value is out of range.</exception>
    public void ThrowIfInvalid() => LimpsSessionsOptionsValidator.ThrowIfInvalid(this);
}
