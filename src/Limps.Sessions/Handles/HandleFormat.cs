using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Limps.Sessions;

/// <summary>
/// Mints and checks the handles of one kind: the kind's prefix followed by 128 bits from a cryptographic random
/// number generator in canonical unpadded base64url (22 URL-safe characters). Parsing never throws and runs before
/// any store is touched, so malformed, overlong, wrongly prefixed and other kinds' handles cost nothing but the check.
/// </summary>
internal sealed class HandleFormat
{
    private static readonly SearchValues<char> Base64UrlChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    private readonly string _prefix;

    public HandleFormat(string prefix)
    {
        _prefix = prefix;
        Length = prefix.Length + HandleKindOptions.RandomLength;
    }

    /// <summary>Gets the length of every handle of this kind.</summary>
    public int Length { get; }

    public SessionId NewHandle()
    {
        Span<byte> bytes = stackalloc byte[HandleKindOptions.RandomBits / 8];
        RandomNumberGenerator.Fill(bytes);
        Span<char> chars = stackalloc char[Length];
        _prefix.AsSpan().CopyTo(chars);
        Base64Url.EncodeToChars(bytes, chars[_prefix.Length..]);
        string text = new(chars);

        // Always valid: a prefix of [a-z0-9_] and base64url are visible ASCII, and the length is at most 38.
        return SessionId.TryParse(text, out SessionId id) ? id : throw new InvalidOperationException("A minted handle is not a valid id.");
    }

    /// <summary>Checks a handle as a caller sent it, without allocating.</summary>
    public bool TryParse([NotNullWhen(true)] string? text, out SessionId id)
    {
        id = default;
        if (text is null || text.Length != Length || !text.StartsWith(_prefix, StringComparison.Ordinal))
        {
            return false;
        }

        ReadOnlySpan<char> random = text.AsSpan(_prefix.Length);
        if (random.ContainsAnyExcept(Base64UrlChars) || !IsCanonical(random[^1]))
        {
            return false;
        }

        return SessionId.TryParse(text, out id);
    }

    // 22 base64url characters carry 132 bits for 128: only the spelling with the last character's low 4 bits clear is
    // one that NewHandle mints, so two different strings never name the same random value.
    private static bool IsCanonical(char last)
    {
        int six = last switch
        {
            >= 'A' and <= 'Z' => last - 'A',
            >= 'a' and <= 'z' => last - 'a' + 26,
            >= '0' and <= '9' => last - '0' + 52,
            '-' => 62,
            _ => 63,
        };
        return (six & 0xF) == 0;
    }
}
