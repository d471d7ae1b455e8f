namespace Limps.Sessions.Tests;

public class ExpiryReasonTests
{
    private static IEnumerable<TestCaseData> BuiltIns()
    {
        yield return new TestCaseData(ExpiryReason.Timeout, "timeout").SetName("Timeout has code timeout");
        yield return new TestCaseData(ExpiryReason.Closed, "closed").SetName("Closed has code closed");
        yield return new TestCaseData(ExpiryReason.Deleted, "deleted").SetName("Deleted has code deleted");
        yield return new TestCaseData(ExpiryReason.Evicted, "evicted").SetName("Evicted has code evicted");
        yield return new TestCaseData(ExpiryReason.Lifetime, "lifetime").SetName("Lifetime has code lifetime");
    }

    [TestCaseSource(nameof(BuiltIns))]
    public void Built_in_reasons_have_their_codes(ExpiryReason reason, string code)
    {
        reason.Code.Should().Be(code);
        reason.ToString().Should().Be(code);
        reason.Description.Should().NotBeNullOrWhiteSpace();
        ExpiryReason.FromCode(code).Should().BeSameAs(reason);
    }

    [Test]
    public void Built_in_reasons_are_distinct()
    {
        ExpiryReason[] all = [ExpiryReason.Timeout, ExpiryReason.Closed, ExpiryReason.Deleted, ExpiryReason.Evicted, ExpiryReason.Lifetime];
        all.Should().OnlyHaveUniqueItems();
        all.Select(r => r.Code).Should().OnlyHaveUniqueItems();
    }

    [TestCase("a")]
    [TestCase("revoked")]
    [TestCase("quota_exceeded")]
    [TestCase("policy-7")]
    [TestCase("0")]
    [TestCase("abcdefghijklmnopqrstuvwxyz012345")]
    public void Valid_codes_are_accepted(string code)
    {
        var reason = new ExpiryReason(code, "A reason.");

        reason.Code.Should().Be(code);
        reason.Description.Should().Be("A reason.");
        ExpiryReason.IsValidCode(code).Should().BeTrue();
    }

    [TestCase("")]
    [TestCase("Timeout")]
    [TestCase("TIMEOUT")]
    [TestCase("time out")]
    [TestCase(" timeout")]
    [TestCase("timeout\n")]
    [TestCase("a.b")]
    [TestCase("a/b")]
    [TestCase("caf\u00e9")]
    [TestCase("abcdefghijklmnopqrstuvwxyz0123456")]
    public void Invalid_codes_are_rejected_with_ArgumentException(string code)
    {
        ExpiryReason.IsValidCode(code).Should().BeFalse();
        FluentActions.Invoking(() => new ExpiryReason(code, "A reason."))
            .Should().Throw<ArgumentException>().WithParameterName("code");
        FluentActions.Invoking(() => ExpiryReason.FromCode(code)).Should().Throw<ArgumentException>();
    }

    [Test]
    public void Code_of_33_characters_is_rejected_and_32_accepted()
    {
        ExpiryReason.MaxCodeLength.Should().Be(32);
        ExpiryReason.IsValidCode(new string('x', 32)).Should().BeTrue();
        ExpiryReason.IsValidCode(new string('x', 33)).Should().BeFalse();
        FluentActions.Invoking(() => new ExpiryReason(new string('x', 33), "d")).Should().Throw<ArgumentException>();
    }

    [Test]
    public void Null_code_is_rejected()
    {
        ExpiryReason.IsValidCode(null).Should().BeFalse();
        FluentActions.Invoking(() => new ExpiryReason(null!, "d")).Should().Throw<ArgumentException>();
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("   ")]
    public void Blank_description_is_rejected(string? description) =>
        FluentActions.Invoking(() => new ExpiryReason("revoked", description!)).Should().Throw<ArgumentException>();

    [Test]
    public void Equality_is_by_code()
    {
        var a = new ExpiryReason("revoked", "One description.");
        var b = new ExpiryReason("revoked", "Another description.");
        var other = new ExpiryReason("quota", "One description.");

        a.Equals(b).Should().BeTrue();
        a.Equals((object)b).Should().BeTrue();
        (a == b).Should().BeTrue();
        (a != b).Should().BeFalse();
        a.GetHashCode().Should().Be(b.GetHashCode());

        a.Equals(other).Should().BeFalse();
        (a == other).Should().BeFalse();
        (a != other).Should().BeTrue();
    }

    [Test]
    public void A_user_subclass_equals_FromCode_of_its_code()
    {
        var revoked = new RevokedReason();
        ExpiryReason stored = ExpiryReason.FromCode(revoked.Code);

        stored.Should().Be(revoked);
        revoked.Should().Be(stored);
        (revoked == stored).Should().BeTrue();
        stored.GetHashCode().Should().Be(revoked.GetHashCode());
        new HashSet<ExpiryReason> { revoked }.Should().Contain(stored);
    }

    [Test]
    public void A_user_reason_with_a_built_in_code_equals_the_built_in()
    {
        var mine = new ExpiryReason("timeout", "My own words.");
        mine.Should().Be(ExpiryReason.Timeout);
    }

    [Test]
    public void Null_comparisons()
    {
        ExpiryReason? none = null;
        ExpiryReason? alsoNone = null;
        ExpiryReason timeout = ExpiryReason.Timeout;

        (none == alsoNone).Should().BeTrue();
        (none == ExpiryReason.Timeout).Should().BeFalse();
        (timeout == none).Should().BeFalse();
        (timeout != none).Should().BeTrue();
        timeout.Equals(none).Should().BeFalse();
        timeout.Equals((object?)"timeout").Should().BeFalse();
    }

    [Test]
    public void FromCode_of_an_unknown_code_gives_a_plain_reason_with_that_code()
    {
        ExpiryReason reason = ExpiryReason.FromCode("quota");

        reason.GetType().Should().Be<ExpiryReason>();
        reason.Code.Should().Be("quota");
        reason.Description.Should().Be("quota");
        reason.ToString().Should().Be("quota");
    }

    [Test]
    public void FromCode_keeps_a_given_description_for_an_unknown_code()
    {
        ExpiryReason.FromCode("quota", "Over quota.").Description.Should().Be("Over quota.");
        ExpiryReason.FromCode("quota", "  ").Description.Should().Be("quota");
    }

    [Test]
    public void FromCode_ignores_the_description_of_a_built_in_code() =>
        ExpiryReason.FromCode("closed", "whatever").Should().BeSameAs(ExpiryReason.Closed);

    [Test]
    public void ToString_is_the_code() => new RevokedReason().ToString().Should().Be("revoked");
}
