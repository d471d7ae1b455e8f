using System.Text;
using CsCheck;

namespace Limps.Sessions.Tests;

/// <summary>
/// Property-based checks of <see cref="SessionId"/> parsing (CsCheck): for any string whatsoever (controls, CR/LF,
/// NUL, DEL, Latin-1, any UTF-16 code unit including lone surrogates, 0 to 10,000 characters), and for any bytes
/// decoded the ways a server may decode a header, parsing never throws and accepts exactly the 1-128 visible ASCII
/// characters the MCP specification allows.
/// </summary>
public class SessionIdPropertyTests
{
    /// <summary>A character from every class a hostile header may carry, visible ASCII most often.</summary>
    internal static readonly Gen<char> AnyChar = Gen.Frequency(
        (12, (IGen<char>)Gen.Char['!', '~']),
        (2, Gen.Char['\0', ' ']),
        (2, Gen.Char["\r\n\0\t\u007F "]),
        (2, Gen.Char['\u0080', '\u00FF']),
        (1, Gen.Char['\uD800', '\uDFFF']),
        (1, Gen.Char));

    /// <summary>Strings of 0 to 10,000 such characters, short ones most often, and the lengths around the limit.</summary>
    internal static readonly Gen<string> AnyString = Gen.Frequency(
        (6, (IGen<string>)AnyChar.Array[0, 40].Select(c => new string(c))),
        (3, AnyChar.Array[120, 136].Select(c => new string(c))),
        (1, AnyChar.Array[0, 10_000].Select(c => new string(c))),
        (2, Gen.Char['!', '~'].Array[1, 128].Select(c => new string(c))),
        (1, Gen.Char['!', '~'].Array[129, 300].Select(c => new string(c))));

    private static bool IsVisibleAscii(char c) => c is >= '!' and <= '~';

    private static bool Expected(string? value) =>
        value is { Length: >= 1 and <= SessionId.MaxLength } && value.All(IsVisibleAscii);

    [Test]
    public void TryParse_never_throws_and_accepts_exactly_1_to_128_visible_ASCII_characters()
    {
        AnyString.Sample(value =>
        {
            bool parsed = SessionId.TryParse(value, out SessionId id);
            parsed.Should().Be(Expected(value));
            SessionId.IsValid(value).Should().Be(parsed);
            SessionId.TryParse(value.AsSpan(), out SessionId fromSpan).Should().Be(parsed);
            if (parsed)
            {
                id.ToString().Should().Be(value);
                fromSpan.Should().Be(id);
                id.IsEmpty.Should().BeFalse();
                id.Length.Should().Be(value.Length);
                id.Masked.Length.Should().BeLessThan(value.Length + 3);
                id.Masked.Should().EndWith("...");
                value.Should().StartWith(id.Masked[..^3]);
            }
            else
            {
                id.IsEmpty.Should().BeTrue();
                fromSpan.IsEmpty.Should().BeTrue();
                FluentActions.Invoking(() => SessionId.Parse(value)).Should().Throw<FormatException>();
            }
        }, iter: 5_000);
    }

    [Test]
    public void Bytes_decoded_as_a_server_would_parse_only_when_they_are_visible_ASCII()
    {
        // Kestrel decodes header bytes as ASCII or Latin-1 (or UTF-8 when configured); whatever it hands over,
        // the answer is the same pure function of the characters.
        Encoding[] decoders = [Encoding.Latin1, Encoding.UTF8, Encoding.ASCII];
        Gen.Select(Gen.Byte.Array[0, 400], Gen.Int[0, decoders.Length - 1]).Sample((bytes, decoder) =>
        {
            string value = decoders[decoder].GetString(bytes);
            SessionId.TryParse(value, out SessionId id).Should().Be(Expected(value));
            if (bytes.Length is >= 1 and <= SessionId.MaxLength && bytes.All(b => b is >= 0x21 and <= 0x7E))
            {
                id.ToString().Should().Be(Encoding.ASCII.GetString(bytes));
            }
        }, iter: 5_000);
    }

    [Test]
    public void Equality_and_hash_follow_the_ordinal_characters()
    {
        Gen<string> valid = Gen.Char['!', '~'].Array[1, 24].Select(c => new string(c));
        Gen.Select(valid, valid).Sample((a, b) =>
        {
            SessionId left = SessionId.Parse(a);
            SessionId right = SessionId.Parse(b);
            (left == right).Should().Be(string.Equals(a, b, StringComparison.Ordinal));
            (left != right).Should().Be(!string.Equals(a, b, StringComparison.Ordinal));
            left.Equals(SessionId.Parse(a)).Should().BeTrue();
            left.GetHashCode().Should().Be(SessionId.Parse(a).GetHashCode());
        }, iter: 2_000);
    }
}
