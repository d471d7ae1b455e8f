namespace Limps.Sessions;

/// <summary>
/// Settings of one kind of state handle (design §8), for example baskets: the kind's name, the prefix of its
/// handles, how long a handle lives, and the caps that bound memory. Bound from the configuration section
/// <c>Limps:Handles:&lt;Kind&gt;</c> (see <see cref="SectionName"/>) and validated when a store is built; a bad value
/// fails with a message that names its key.
/// </summary>
/// <example>
/// <code>
/// var baskets = new HandleKindOptions { Name = "basket", Prefix = "bsk_", CreateToolName = "create_basket" };
/// // baskets.DurabilityPolicy == "baskets expire after 24 h idle"
/// </code>
/// </example>
public sealed class HandleKindOptions
{
    /// <summary>The parent configuration section of every kind: <c>Limps:Handles</c>.</summary>
    public const string SectionPrefix = "Limps:Handles";

    /// <summary>How many random bits every handle carries after its prefix.</summary>
    public const int RandomBits = 128;

    /// <summary>The length of a handle's random part: 128 bits in unpadded base64url.</summary>
    public const int RandomLength = 22;

    /// <summary>Gets or sets the kind's name, as the model and the error texts see it: <c>[a-z][a-z0-9_]{0,31}</c>, for example <c>basket</c>.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>
    /// Gets or sets the prefix every handle of this kind starts with, so a model and a human can tell handles apart:
    /// 1 to 16 characters from <c>[a-z0-9_]</c>, for example <c>bsk_</c>.
    /// </summary>
    public string Prefix { get; set; } = string.Empty;

    /// <summary>
    /// Gets or sets how long a handle may go unused before it expires with reason <c>timeout</c>. Default: 24 hours.
    /// <see cref="TimeSpan.Zero"/> disables idle expiry, which is allowed only with a <see cref="MaxLifetime"/>, so
    /// every handle has a bounded life. Allowed: 0 to 365 days.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Gets or sets an absolute limit on a handle's life, counted from its creation, after which it ends with reason
    /// <c>lifetime</c>. <see cref="TimeSpan.Zero"/> (the default) turns it off. Allowed: 0 to 365 days.
    /// </summary>
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.Zero;

    /// <summary>Gets or sets how many handles of this kind may be live at once. Default: 100,000. Allowed: 1 to 100,000,000.</summary>
    public int MaxHandles { get; set; } = 100_000;

    /// <summary>
    /// Gets or sets how many live handles of this kind one owner may hold. Handles created without an owner count only
    /// against <see cref="MaxHandles"/>. Default: 1,000. Allowed: 1 to 100,000,000.
    /// </summary>
    public int MaxHandlesPerOwner { get; set; } = 1_000;

    /// <summary>
    /// Gets or sets how long an ended handle is remembered (answered "expired, why, when" instead of "not known"),
    /// counted from the instant it expired. Default: 24 hours. Allowed: 0 to 365 days.
    /// </summary>
    public TimeSpan LedgerRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Gets or sets how many ended handles are remembered at most; the oldest go first. Default: 100,000. Allowed: 1 to 100,000,000.</summary>
    public int MaxLedgerEntries { get; set; } = 100_000;

    /// <summary>
    /// Gets or sets how often a background sweep should end idle handles and prune the ledger. Correctness does not
    /// depend on it: a handle past its deadline is answered expired even before a sweep ran. Default: 1 minute.
    /// Allowed: 1 millisecond to 1 day.
    /// </summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Gets or sets the name of the tool that creates a handle of this kind, for example <c>create_basket</c>. Error
    /// answers end with "Call &lt;tool&gt; to start a new one." when it is set.
    /// </summary>
    public string? CreateToolName { get; set; }

    /// <summary>Gets or sets the plural of <see cref="Name"/> used in <see cref="DurabilityPolicy"/>; defaults to the name followed by <c>s</c>.</summary>
    public string? PluralName { get; set; }

    /// <summary>Gets the configuration section of this kind: <c>Limps:Handles:&lt;Name&gt;</c> with the name's first letter capitalised.</summary>
    public string SectionName => $"{SectionPrefix}:{SectionKey(Name)}";

    /// <summary>
    /// Gets the one-line durability policy for the creating tool's description, as SEP-2567 asks, for example
    /// "baskets expire after 24 h idle" or "baskets expire after 24 h idle or 7 d after creation, whichever comes first".
    /// </summary>
    public string DurabilityPolicy => HandleText.DurabilityPolicy(this);

    /// <summary>
    /// Checks every setting, as a store does when it is built and the host does at start-up.
    /// </summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">
    /// A setting is not valid; each failure names its key, for example <c>Limps:Handles:Basket:IdleTimeout</c>.
    /// </exception>
    public void ThrowIfInvalid() => HandleKindOptionsValidator.ThrowIfInvalid(this);

    internal static string SectionKey(string? name) =>
        string.IsNullOrEmpty(name) ? "<kind>" : string.Concat(char.ToUpperInvariant(name[0]).ToString(), name.AsSpan(1));

    /// <summary>A copy, so a store is not changed by later edits of the options it was built from.</summary>
    /// <returns>A new instance with the same settings.</returns>
    public HandleKindOptions Clone() => (HandleKindOptions)MemberwiseClone();

    /// <summary>
    /// The session options of the registry that keeps this kind's handles: a handle store is built on a session
    /// registry of its own, with the kind's lifecycle settings (never closed on shutdown: handles outlive a process).
    /// </summary>
    /// <returns>New session options.</returns>
    public LimpsSessionsOptions ToSessionOptions() => new()
    {
        IdleTimeout = IdleTimeout,
        MaxLifetime = MaxLifetime,
        MaxSessions = MaxHandles,
        LedgerRetention = LedgerRetention,
        MaxLedgerEntries = MaxLedgerEntries,
        SweepInterval = SweepInterval,
        CloseSessionsOnShutdown = false,
    };
}
