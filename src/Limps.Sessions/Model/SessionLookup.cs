namespace Limps.Sessions;

/// <summary>
/// The answer to "what is this session id?": exactly one of <see cref="SessionLookupKind.Active"/> (with the
/// session), <see cref="SessionLookupKind.Expired"/> (with its tombstone) or
/// <see cref="SessionLookupKind.NotFound"/>. Switch on <see cref="Kind"/> or call <see cref="Match{TResult}"/>.
/// </summary>
/// <remarks>A value type, so registries answer lookups without allocating. The default value is NotFound.</remarks>
public readonly struct SessionLookup
{
    private readonly SessionInfo _session;
    private readonly ExpiredSession? _expired;

    private SessionLookup(SessionLookupKind kind, SessionInfo session, ExpiredSession? expired)
    {
        Kind = kind;
        _session = session;
        _expired = expired;
    }

    /// <summary>Gets the answer for an id that is neither live nor remembered.</summary>
    public static SessionLookup NotFound => default;

    /// <summary>Gets which answer this is.</summary>
    public SessionLookupKind Kind { get; }

    /// <summary>Gets whether the session is live.</summary>
    public bool IsActive => Kind == SessionLookupKind.Active;

    /// <summary>Gets whether the session ended and is remembered.</summary>
    public bool IsExpired => Kind == SessionLookupKind.Expired;

    /// <summary>Gets whether the id is unknown.</summary>
    public bool IsNotFound => Kind == SessionLookupKind.NotFound;

    /// <summary>Gets the live session.</summary>
    /// <exception cref="InvalidOperationException">The answer is not <see cref="SessionLookupKind.Active"/>.</exception>
    public SessionInfo Session => Kind == SessionLookupKind.Active
        ? _session
        : throw new InvalidOperationException($"The lookup answered {Kind}, not Active.");

    /// <summary>Gets the tombstone of the ended session.</summary>
    /// <exception cref="InvalidOperationException">The answer is not <see cref="SessionLookupKind.Expired"/>.</exception>
    public ExpiredSession Expiry => _expired
        ?? throw new InvalidOperationException($"The lookup answered {Kind}, not Expired.");

    /// <summary>Creates the answer for a live session.</summary>
    /// <param name="session">The session.</param>
    /// <returns>An <see cref="SessionLookupKind.Active"/> answer.</returns>
    public static SessionLookup Active(SessionInfo session)
    {
        if (session.Id.IsEmpty)
        {
            throw new ArgumentException("The session id must not be empty.", nameof(session));
        }

        return new SessionLookup(SessionLookupKind.Active, session, null);
    }

    /// <summary>An active answer for a snapshot that a registry built from a live entry, whose id is never empty.</summary>
    internal static SessionLookup ActiveOf(SessionInfo session) => new(SessionLookupKind.Active, session, null);

    /// <summary>Creates the answer for an ended session.</summary>
    /// <param name="expired">The tombstone.</param>
    /// <returns>An <see cref="SessionLookupKind.Expired"/> answer.</returns>
    public static SessionLookup Expired(ExpiredSession expired)
    {
        ArgumentNullException.ThrowIfNull(expired);
        return new SessionLookup(SessionLookupKind.Expired, default, expired);
    }

    /// <summary>Returns the live session when there is one.</summary>
    /// <param name="session">The session, when the answer is Active.</param>
    /// <returns><see langword="true"/> when the answer is Active.</returns>
    public bool TryGetSession(out SessionInfo session)
    {
        session = _session;
        return Kind == SessionLookupKind.Active;
    }

    /// <summary>Returns the tombstone when there is one.</summary>
    /// <param name="expired">The tombstone, when the answer is Expired.</param>
    /// <returns><see langword="true"/> when the answer is Expired.</returns>
    public bool TryGetExpiry([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ExpiredSession? expired)
    {
        expired = _expired;
        return expired is not null;
    }

    /// <summary>
    /// Returns whether the answer may be shown to <paramref name="owner"/>: an unknown id always, a live or ended
    /// session only when it is bound to the same owner key (both <see langword="null"/> for anonymous sessions).
    /// </summary>
    /// <param name="owner">The caller's owner key, or <see langword="null"/> for an anonymous caller.</param>
    /// <returns><see langword="false"/> when the session belongs to someone else.</returns>
    public bool IsOwnedBy(string? owner) => Kind switch
    {
        SessionLookupKind.Active => string.Equals(_session.Owner, owner, StringComparison.Ordinal),
        SessionLookupKind.Expired => string.Equals(_expired!.Owner, owner, StringComparison.Ordinal),
        _ => true,
    };

    /// <summary>Maps the answer to a value, one function per kind.</summary>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="active">Called for a live session.</param>
    /// <param name="expired">Called for an ended session.</param>
    /// <param name="notFound">Called for an unknown id.</param>
    /// <returns>What the chosen function returned.</returns>
    public TResult Match<TResult>(
        Func<SessionInfo, TResult> active,
        Func<ExpiredSession, TResult> expired,
        Func<TResult> notFound)
    {
        ArgumentNullException.ThrowIfNull(active);
        ArgumentNullException.ThrowIfNull(expired);
        ArgumentNullException.ThrowIfNull(notFound);
        return Kind switch
        {
            SessionLookupKind.Active => active(_session),
            SessionLookupKind.Expired => expired(_expired!),
            _ => notFound(),
        };
    }

    /// <summary>Returns a description with the masked id (never the full id).</summary>
    /// <returns>A string for diagnostics.</returns>
    public override string ToString() => Kind switch
    {
        SessionLookupKind.Active => $"Active: {_session}",
        SessionLookupKind.Expired => $"Expired: {_expired}",
        _ => "NotFound",
    };
}
