using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Limps.Sessions.Redis;

/// <summary>
/// Mints and checks one kind's handles exactly as the in-memory store does: the kind's prefix, then 128 bits from a
/// cryptographic random number generator in canonical unpadded base64url. Checking never throws and runs before Redis
/// is asked anything.
/// </summary>
/// <remarks>The core keeps its own copy internal; both must mint and accept the same strings (a contract test holds them to it).</remarks>
internal sealed class RedisHandleFormat
{
    private static readonly SearchValues<char> Base64UrlChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    private readonly string _prefix;
    private readonly int _length;

    public RedisHandleFormat(string prefix)
    {
        _prefix = prefix;
        _length = prefix.Length + HandleKindOptions.RandomLength;
    }

    public SessionId NewHandle()
    {
        Span<byte> bytes = stackalloc byte[HandleKindOptions.RandomBits / 8];
        RandomNumberGenerator.Fill(bytes);
        Span<char> chars = stackalloc char[_length];
        _prefix.AsSpan().CopyTo(chars);
        Base64Url.EncodeToChars(bytes, chars[_prefix.Length..]);
        return SessionId.TryParse(new string(chars), out SessionId id)
            ? id
            : throw new InvalidOperationException("A minted handle is not a valid id.");
    }

    public bool TryParse([NotNullWhen(true)] string? text, out SessionId id)
    {
        id = default;
        if (text is null || text.Length != _length || !text.StartsWith(_prefix, StringComparison.Ordinal))
        {
            return false;
        }

        ReadOnlySpan<char> random = text.AsSpan(_prefix.Length);

        // 22 characters carry 132 bits for 128: only the spelling with the last character's low 4 bits clear is minted.
        return !random.ContainsAnyExcept(Base64UrlChars)
            && (Base64UrlValue(random[^1]) & 0xF) == 0
            && SessionId.TryParse(text, out id);
    }

    private static int Base64UrlValue(char c) => c switch
    {
        >= 'A' and <= 'Z' => c - 'A',
        >= 'a' and <= 'z' => c - 'a' + 26,
        >= '0' and <= '9' => c - '0' + 52,
        '-' => 62,
        _ => 63,
    };
}
