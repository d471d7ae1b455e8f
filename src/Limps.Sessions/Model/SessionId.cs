using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Limps.Sessions;

/// <summary>
/// The identifier of a session, as carried in the <c>Mcp-Session-Id</c> header: 1 to 128 visible ASCII
/// characters (0x21 to 0x7E), compared ordinally.
/// </summary>
/// <remarks>
/// <see cref="ToString"/> returns the full id, which is a bearer secret: log <see cref="Masked"/> instead.
/// The default value is <see cref="IsEmpty">empty</see> and is rejected by every registry operation.
/// </remarks>
public readonly struct SessionId : IEquatable<SessionId>
{
    /// <summary>The longest id accepted by <see cref="TryParse(string?, out SessionId)"/>.</summary>
    public const int MaxLength = 128;

    /// <summary>How many random bits <see cref="New"/> draws.</summary>
    public const int RandomBits = 128;

    private const int MaskedPrefixLength = 8;
    private const string MaskSuffix = "...";

    private readonly string? _value;

    private SessionId(string value) => _value = value;

    /// <summary>An id from text a caller has already checked as valid (see <see cref="IsValid"/>), without checking again.</summary>
    internal static SessionId FromChecked(string value) => new(value);

    /// <summary>Gets whether this is the default, empty value that no session can have.</summary>
    public bool IsEmpty => _value is null;

    /// <summary>Gets the number of characters in the id.</summary>
    public int Length => _value?.Length ?? 0;

    /// <summary>
    /// Gets a form safe to log: the first 8 characters followed by <c>...</c>. Ids of 16 characters or
    /// fewer show at most half of their characters, so a short id is never revealed whole.
    /// </summary>
    public string Masked
    {
        get
        {
            if (_value is null)
            {
                return string.Empty;
            }

            int shown = Math.Min(MaskedPrefixLength, _value.Length / 2);
            return string.Concat(_value.AsSpan(0, shown), MaskSuffix);
        }
    }

    /// <summary>
    /// Creates a new id from <see cref="RandomBits"/> bits of a cryptographic random number generator,
    /// encoded as unpadded base64url (22 characters, all visible ASCII).
    /// </summary>
    /// <returns>A new, unguessable id.</returns>
    public static SessionId New()
    {
        Span<byte> bytes = stackalloc byte[RandomBits / 8];
        RandomNumberGenerator.Fill(bytes);
        return new SessionId(Base64Url.EncodeToString(bytes));
    }

    /// <summary>
    /// Parses an id without throwing. Accepts 1 to <see cref="MaxLength"/> characters in 0x21 to 0x7E;
    /// rejects null, empty, overlong, whitespace, control and non-ASCII characters.
    /// </summary>
    /// <param name="value">The candidate id, for example a request header value.</param>
    /// <param name="id">The parsed id, or the empty id when parsing failed.</param>
    /// <returns><see langword="true"/> when <paramref name="value"/> is a valid id.</returns>
    public static bool TryParse([NotNullWhen(true)] string? value, out SessionId id)
    {
        if (value is not null && IsValid(value))
        {
            id = new SessionId(value);
            return true;
        }

        id = default;
        return false;
    }

    /// <summary>Parses an id from characters without throwing; see <see cref="TryParse(string?, out SessionId)"/>.</summary>
    /// <param name="value">The candidate id.</param>
    /// <param name="id">The parsed id, or the empty id when parsing failed.</param>
    /// <returns><see langword="true"/> when <paramref name="value"/> is a valid id.</returns>
    public static bool TryParse(ReadOnlySpan<char> value, out SessionId id)
    {
        if (IsValid(value))
        {
            id = new SessionId(value.ToString());
            return true;
        }

        id = default;
        return false;
    }

    /// <summary>Parses an id, throwing when it is not valid.</summary>
    /// <param name="value">The id to parse.</param>
    /// <returns>The parsed id.</returns>
    /// <exception cref="FormatException"><paramref name="value"/> is not 1 to 128 visible ASCII characters.</exception>
    public static SessionId Parse(string value)
    {
        if (TryParse(value, out SessionId id))
        {
            return id;
        }

        throw new FormatException(
            $"A session id must be 1 to {MaxLength} visible ASCII characters (0x21 to 0x7E).");
    }

    /// <summary>Returns whether <paramref name="value"/> is a valid id.</summary>
    /// <param name="value">The candidate id.</param>
    /// <returns><see langword="true"/> when the value has 1 to 128 characters, all in 0x21 to 0x7E.</returns>
    public static bool IsValid(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty || value.Length > MaxLength)
        {
            return false;
        }

        // Visible ASCII is exactly the range '!'..'~'; everything else (space, controls, DEL, non-ASCII) is out.
        return !value.ContainsAnyExceptInRange('!', '~');
    }

    /// <summary>Returns the full id. Do not log it; use <see cref="Masked"/>.</summary>
    /// <returns>The full id, or an empty string for the empty id.</returns>
    public override string ToString() => _value ?? string.Empty;

    /// <inheritdoc />
    public bool Equals(SessionId other) => string.Equals(_value, other._value, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is SessionId other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _value is null ? 0 : _value.GetHashCode(StringComparison.Ordinal);

    /// <summary>Compares two ids ordinally.</summary>
    /// <param name="left">The first id.</param>
    /// <param name="right">The second id.</param>
    /// <returns><see langword="true"/> when both ids have the same characters.</returns>
    public static bool operator ==(SessionId left, SessionId right) => left.Equals(right);

    /// <summary>Compares two ids ordinally.</summary>
    /// <param name="left">The first id.</param>
    /// <param name="right">The second id.</param>
    /// <returns><see langword="true"/> when the ids differ.</returns>
    public static bool operator !=(SessionId left, SessionId right) => !left.Equals(right);
}
