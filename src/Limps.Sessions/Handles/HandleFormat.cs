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
/// <remarks>
/// Every <see cref="IHandleStore{TState}"/> mints and checks handles with this one format, so a handle means the same to
/// every store: a store author creates one per kind (<c>new HandleFormat(kind.Prefix)</c>), mints with
/// <see cref="NewHandle"/> and answers a handle <see cref="TryParse"/> rejects as invalid without asking the store.
/// </remarks>
public sealed class HandleFormat
{
    private static readonly SearchValues<char> Base64UrlChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    private readonly string _prefix;

    /// <summary>Creates the format of one kind's handles.</summary>
    /// <param name="prefix">The kind's prefix (<see cref="HandleKindOptions.Prefix"/>, already validated), for example <c>bsk_</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="prefix"/> is null or empty.</exception>
    public HandleFormat(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        _prefix = prefix;
        Length = prefix.Length + HandleKindOptions.RandomLength;
    }

    /// <summary>Gets the length of every handle of this kind.</summary>
    public int Length { get; }

    /// <summary>Mints a new handle of this kind.</summary>
    /// <returns>The handle, as a <see cref="SessionId"/> whose text is the prefix and 22 random base64url characters.</returns>
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

    /// <summary>Checks a handle as a caller sent it, without allocating and without throwing.</summary>
    /// <param name="text">The handle as the caller sent it.</param>
    /// <param name="id">The handle as a <see cref="SessionId"/> when it is one this format mints.</param>
    /// <returns>Whether <paramref name="text"/> is a well-formed handle of this kind.</returns>
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

        // A prefix of [a-z0-9_] and base64url characters are all valid id characters, and the length is at most 38.
        id = SessionId.FromChecked(text);
        return true;
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
