namespace Limps.Sessions.Tests;

public class SessionIdTests
{
    private static readonly string AllVisibleAscii = new([.. Enumerable.Range('!', '~' - '!' + 1).Select(c => (char)c)]);

    private static IEnumerable<TestCaseData> InvalidValues()
    {
        yield return new TestCaseData(null).SetName("TryParse rejects null");
        yield return new TestCaseData(string.Empty).SetName("TryParse rejects empty");
        yield return new TestCaseData(" ").SetName("TryParse rejects a space");
        yield return new TestCaseData("   ").SetName("TryParse rejects spaces only");
        yield return new TestCaseData(" abc").SetName("TryParse rejects a leading space");
        yield return new TestCaseData("abc ").SetName("TryParse rejects a trailing space");
        yield return new TestCaseData("ab cd").SetName("TryParse rejects a space inside");
        yield return new TestCaseData("ab\0cd").SetName("TryParse rejects NUL");
        yield return new TestCaseData("ab\rcd").SetName("TryParse rejects CR");
        yield return new TestCaseData("ab\ncd").SetName("TryParse rejects LF");
        yield return new TestCaseData("ab\r\nX-Injected: 1").SetName("TryParse rejects a header injection");
        yield return new TestCaseData("ab\tcd").SetName("TryParse rejects TAB");
        yield return new TestCaseData("ab\u007Fcd").SetName("TryParse rejects DEL");
        yield return new TestCaseData("ab\u0001cd").SetName("TryParse rejects 0x01");
        yield return new TestCaseData("caf\u00e9").SetName("TryParse rejects e-acute");
        yield return new TestCaseData("ab\u00A0cd").SetName("TryParse rejects a no-break space");
        yield return new TestCaseData("ab\u0080cd").SetName("TryParse rejects 0x80");
        yield return new TestCaseData("id\U0001F600").SetName("TryParse rejects an emoji");
        yield return new TestCaseData("\uFF21BC").SetName("TryParse rejects a fullwidth letter");
        yield return new TestCaseData(new string('a', SessionId.MaxLength + 1)).SetName("TryParse rejects 129 characters");
        yield return new TestCaseData(new string('a', 10_000)).SetName("TryParse rejects 10000 characters");
    }

    [Test]
    public void New_is_22_characters_of_unpadded_base64url()
    {
        for (int i = 0; i < 200; i++)
        {
            SessionId id = SessionId.New();
            id.ToString().Should().MatchRegex("^[A-Za-z0-9_-]{22}$");
            id.Length.Should().Be(22);
            id.IsEmpty.Should().BeFalse();
        }
    }

    [Test]
    public void New_ids_are_valid_visible_ascii_and_round_trip_through_Parse()
    {
        SessionId id = SessionId.New();
        string text = id.ToString();

        text.ToCharArray().Should().OnlyContain(c => c >= 0x21 && c <= 0x7E);
        SessionId.IsValid(text).Should().BeTrue();
        SessionId.Parse(text).Should().Be(id);
    }

    [Test]
    public void New_ids_are_distinct()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < 50_000; i++)
        {
            seen.Add(SessionId.New().ToString()).Should().BeTrue("ids must not repeat");
        }
    }

    [Test]
    public void New_ids_use_the_whole_alphabet()
    {
        // 128 random bits: over many ids every base64url symbol shows up; a constant or a counter would not.
        var used = new HashSet<char>();
        for (int i = 0; i < 2_000; i++)
        {
            used.UnionWith(SessionId.New().ToString());
        }

        used.Should().HaveCount(64);
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(22)]
    [TestCase(127)]
    [TestCase(128)]
    public void TryParse_accepts_1_to_128_visible_characters(int length)
    {
        string value = string.Concat(Enumerable.Repeat(AllVisibleAscii, 2))[..length];

        SessionId.TryParse(value, out SessionId id).Should().BeTrue();
        id.ToString().Should().Be(value);
        id.Length.Should().Be(length);

        SessionId.TryParse(value.AsSpan(), out SessionId fromSpan).Should().BeTrue();
        fromSpan.Should().Be(id);
    }

    [Test]
    public void TryParse_accepts_every_visible_ascii_character()
    {
        AllVisibleAscii.Should().HaveLength(94);

        SessionId.TryParse(AllVisibleAscii, out SessionId id).Should().BeTrue();
        id.ToString().Should().Be(AllVisibleAscii);
    }

    [TestCaseSource(nameof(InvalidValues))]
    public void TryParse_rejects_without_throwing(string? value)
    {
        bool parsed = true;
        SessionId id = SessionId.New();
        FluentActions.Invoking(() => parsed = SessionId.TryParse(value, out id)).Should().NotThrow();
        parsed.Should().BeFalse();
        id.IsEmpty.Should().BeTrue();

        bool parsedSpan = true;
        SessionId fromSpan = SessionId.New();
        FluentActions.Invoking(() => parsedSpan = SessionId.TryParse(value.AsSpan(), out fromSpan)).Should().NotThrow();
        parsedSpan.Should().BeFalse();
        fromSpan.IsEmpty.Should().BeTrue();

        SessionId.IsValid(value.AsSpan()).Should().BeFalse();
    }

    [TestCaseSource(nameof(InvalidValues))]
    public void Parse_throws_FormatException(string? value) =>
        FluentActions.Invoking(() => SessionId.Parse(value!)).Should().Throw<FormatException>();

    [Test]
    public void Parse_returns_the_id()
    {
        SessionId id = SessionId.Parse("abc-DEF_123");
        id.ToString().Should().Be("abc-DEF_123");
    }

    [Test]
    public void Masked_shows_the_first_8_characters_and_an_ellipsis()
    {
        SessionId id = SessionId.Parse("ABCDEFGHijklmnopqrstuv");

        id.Masked.Should().Be("ABCDEFGH...");
        id.Masked.Should().NotContain(id.ToString());
    }

    [Test]
    public void Masked_of_new_ids_never_contains_the_full_id()
    {
        for (int i = 0; i < 100; i++)
        {
            SessionId id = SessionId.New();
            id.Masked.Should().Be(id.ToString()[..8] + "...");
            id.Masked.Should().NotContain(id.ToString());
        }
    }

    [TestCase("a", "...")]
    [TestCase("ab", "a...")]
    [TestCase("abcd", "ab...")]
    [TestCase("abcdefghij", "abcde...")]
    [TestCase("abcdefghijklmnop", "abcdefgh...")]
    [TestCase("abcdefghijklmnopq", "abcdefgh...")]
    public void Masked_shows_at_most_half_of_a_short_id(string value, string expected)
    {
        SessionId id = SessionId.Parse(value);

        id.Masked.Should().Be(expected);
        id.Masked.Should().NotContain(value);
    }

    [Test]
    public void Masked_never_reveals_the_id_whatever_its_length()
    {
        for (int length = 1; length <= SessionId.MaxLength; length++)
        {
            string value = string.Concat(Enumerable.Repeat(AllVisibleAscii, 2))[..length];
            string masked = SessionId.Parse(value).Masked;

            masked.Should().EndWith("...");
            string shown = masked[..^3];
            shown.Length.Should().BeLessThanOrEqualTo(Math.Min(8, length / 2));
            value.Should().StartWith(shown);
            masked.Should().NotContain(value);
        }
    }

    [Test]
    public void Equality_is_ordinal_and_case_sensitive()
    {
        SessionId a = SessionId.Parse("Session-1");
        SessionId same = SessionId.Parse(new string("Session-1".ToCharArray()));
        SessionId otherCase = SessionId.Parse("session-1");

        (a == same).Should().BeTrue();
        (a != same).Should().BeFalse();
        a.Equals(same).Should().BeTrue();
        a.Equals((object)same).Should().BeTrue();
        a.GetHashCode().Should().Be(same.GetHashCode());

        (a == otherCase).Should().BeFalse();
        (a != otherCase).Should().BeTrue();
        a.Equals(otherCase).Should().BeFalse();
        a.Equals((object)"Session-1").Should().BeFalse();
        a.Equals(null).Should().BeFalse();
    }

    [Test]
    public void Default_is_empty()
    {
        SessionId empty = default;

        empty.IsEmpty.Should().BeTrue();
        empty.Length.Should().Be(0);
        empty.ToString().Should().BeEmpty();
        empty.Masked.Should().BeEmpty();
        empty.GetHashCode().Should().Be(0);
        (empty == default(SessionId)).Should().BeTrue();
        (empty == SessionId.Parse("a")).Should().BeFalse();
    }

    [Test]
    public void Parsed_ids_are_not_empty() => SessionId.Parse("x").IsEmpty.Should().BeFalse();
}
