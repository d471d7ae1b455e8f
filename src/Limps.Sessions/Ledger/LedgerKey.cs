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
            && IsCanonical(value))
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

    // 22 base64url characters carry 132 bits for 128: decoding ignores the low 4 bits of the last character. Only the
    // spelling with those bits clear is kept compact, so two different id strings never share a key.
    private static bool IsCanonical(string value) => (SixBits(value[CompactLength - 1]) & 0xF) == 0;

    private static int SixBits(char c) => c switch
    {
        >= 'A' and <= 'Z' => c - 'A',
        >= 'a' and <= 'z' => c - 'a' + 26,
        >= '0' and <= '9' => c - '0' + 52,
        '-' => 62,
        _ => 63,
    };
}
