namespace Limps.Sessions.Tests;

public class ExpiredSessionTests
{
    [Test]
    public void Holds_what_it_was_given()
    {
        SessionId id = SessionId.New();
        var tombstone = new ExpiredSession(id, ExpiryReason.Closed, TestTime.Start + TestTime.Minutes(2), TestTime.Start);

        tombstone.Id.Should().Be(id);
        tombstone.Reason.Should().BeSameAs(ExpiryReason.Closed);
        tombstone.ExpiredAt.Should().Be(TestTime.Start + TestTime.Minutes(2));
        tombstone.LastActiveAt.Should().Be(TestTime.Start);
        tombstone.Owner.Should().BeNull("a tombstone made without an owner is of an anonymous session");
        new ExpiredSession(id, ExpiryReason.Closed, TestTime.Start, TestTime.Start, "alice").Owner.Should().Be("alice");
    }

    [Test]
    public void Rejects_an_empty_id_and_a_null_reason()
    {
        FluentActions.Invoking(() => new ExpiredSession(default, ExpiryReason.Closed, TestTime.Start, TestTime.Start))
            .Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => new ExpiredSession(SessionId.New(), null!, TestTime.Start, TestTime.Start))
            .Should().Throw<ArgumentNullException>();
    }

    [Test]
    public void ToString_masks_the_id_and_names_the_reason()
    {
        SessionId id = SessionId.New();
        new ExpiredSession(id, ExpiryReason.Timeout, TestTime.Start, TestTime.Start).ToString()
            .Should().Contain(id.Masked).And.Contain("timeout").And.NotContain(id.ToString());
    }

    [Test]
    public void ToString_never_shows_the_owner()
    {
        new ExpiredSession(SessionId.New(), ExpiryReason.Timeout, TestTime.Start, TestTime.Start, "alice-secret").ToString()
            .Should().NotContain("alice-secret");
    }

    [Test]
    public void Equality_includes_the_owner_compared_ordinally()
    {
        SessionId id = SessionId.New();
        var alice = new ExpiredSession(id, ExpiryReason.Deleted, TestTime.Start, TestTime.Start, "alice");
        var aliceAgain = new ExpiredSession(id, ExpiryReason.Deleted, TestTime.Start, TestTime.Start, new string("alice".ToCharArray()));

        alice.Should().Be(aliceAgain);
        alice.GetHashCode().Should().Be(aliceAgain.GetHashCode());
        alice.Should().NotBe(new ExpiredSession(id, ExpiryReason.Deleted, TestTime.Start, TestTime.Start, "Alice"));
        alice.Should().NotBe(new ExpiredSession(id, ExpiryReason.Deleted, TestTime.Start, TestTime.Start));
        new ExpiredSession(id, ExpiryReason.Deleted, TestTime.Start, TestTime.Start)
            .Should().NotBe(alice, "an anonymous session's tombstone differs from an owned one's");
    }

    [Test]
    public void Equality_is_by_id_reason_code_and_instants()
    {
        SessionId id = SessionId.New();
        var tombstone = new ExpiredSession(id, new RevokedReason(), TestTime.Start + TestTime.Minutes(1), TestTime.Start);
        var same = new ExpiredSession(id, ExpiryReason.FromCode("revoked"), TestTime.Start + TestTime.Minutes(1), TestTime.Start);

        tombstone.Should().Be(same);
        (tombstone == same).Should().BeTrue();
        tombstone.GetHashCode().Should().Be(same.GetHashCode());
        tombstone.Should().NotBe(new ExpiredSession(SessionId.New(), new RevokedReason(), TestTime.Start + TestTime.Minutes(1), TestTime.Start));
        tombstone.Should().NotBe(new ExpiredSession(id, ExpiryReason.Deleted, TestTime.Start + TestTime.Minutes(1), TestTime.Start));
        tombstone.Should().NotBe(new ExpiredSession(id, new RevokedReason(), TestTime.Start + TestTime.Minutes(2), TestTime.Start));
        tombstone.Should().NotBe(new ExpiredSession(id, new RevokedReason(), TestTime.Start + TestTime.Minutes(1), TestTime.Start + TestTime.OneTick));
        tombstone.Equals((object)"not a tombstone").Should().BeFalse();
        (tombstone != null).Should().BeTrue();
    }
}
