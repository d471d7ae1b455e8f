using System.Buffers;
using System.Buffers.Text;

namespace Limps.Sessions;

/// <summary>
/// How the in-memory ledger keys a tombstone without keeping the id's string: an id of the form
/// <see cref="SessionId.New"/> and the MCP SDK produce (16 bytes in canonical unpadded base64url, 22 characters) is
/// kept as its 128 bits; any other id keeps its string.
/// </summary>
internal readonly struct LedgerKey : IEquatable<LedgerKey>
{
    private const int CompactLength = 22;

    private readonly ulong _high;
    private readonly ulong _low;
    private readonly string? _other;

    private LedgerKey(ulong high, ulong low, string? other)
    {
        _high = high;
        _low = low;
        _other = other;
    }

    public static LedgerKey From(SessionId id)
    {
        string value = id.ToString();
        Span<byte> bytes = stackalloc byte[24];
        if (value.Length == CompactLength
            && Base64Url.DecodeFromChars(value, bytes, out int consumed, out int written) == OperationStatus.Done
            && consumed == CompactLength
            && written == 16
            && IsCanonical(value, bytes[..16]))
        {
            return new LedgerKey(
                BitConverter.ToUInt64(bytes[..8]),
                BitConverter.ToUInt64(bytes[8..16]),
                null);
        }

        return new LedgerKey(0, 0, value);
    }

    public bool Equals(LedgerKey other) =>
        _high == other._high && _low == other._low && string.Equals(_other, other._other, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is LedgerKey other && Equals(other);

    // HashCode is seeded per process, so ids chosen by a client cannot be made to collide on purpose.
    public override int GetHashCode() => _other is null
        ? HashCode.Combine(_high, _low)
        : _other.GetHashCode(StringComparison.Ordinal);

    // Base64url decoding ignores the low bits of the last character; only the encoding that round-trips is compact,
    // so two different id strings never share a key.
    private static bool IsCanonical(string value, ReadOnlySpan<byte> bytes)
    {
        Span<char> encoded = stackalloc char[CompactLength];
        return Base64Url.EncodeToChars(bytes, encoded) == CompactLength && encoded.SequenceEqual(value);
    }
}
