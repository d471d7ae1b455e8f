using NodaTime;

namespace Limps.Sessions.Tests;

public class SessionLookupTests
{
    private static readonly SessionId Id = SessionId.Parse("lookup-session-id-0001");
    private static readonly SessionInfo Info = new(Id, TestTime.Start, TestTime.Start + TestTime.Minutes(1), "alice");
    private static readonly ExpiredSession Tombstone =
        new(Id, ExpiryReason.Deleted, TestTime.Start + TestTime.Minutes(5), TestTime.Start + TestTime.Minutes(1));

    [Test]
    public void Default_is_NotFound()
    {
        SessionLookup lookup = default;

        lookup.Kind.Should().Be(SessionLookupKind.NotFound);
        lookup.IsNotFound.Should().BeTrue();
        lookup.IsActive.Should().BeFalse();
        lookup.IsExpired.Should().BeFalse();
        SessionLookup.NotFound.Kind.Should().Be(SessionLookupKind.NotFound);
        lookup.ToString().Should().Be("NotFound");
    }

    [Test]
    public void Active_carries_the_session()
    {
        SessionLookup lookup = SessionLookup.Active(Info);

        lookup.Kind.Should().Be(SessionLookupKind.Active);
        lookup.IsActive.Should().BeTrue();
        lookup.IsExpired.Should().BeFalse();
        lookup.IsNotFound.Should().BeFalse();
        lookup.Session.Id.Should().Be(Id);
        lookup.Session.Owner.Should().Be("alice");
    }

    [Test]
    public void Expired_carries_the_tombstone()
    {
        SessionLookup lookup = SessionLookup.Expired(Tombstone);

        lookup.Kind.Should().Be(SessionLookupKind.Expired);
        lookup.IsExpired.Should().BeTrue();
        lookup.IsActive.Should().BeFalse();
        lookup.IsNotFound.Should().BeFalse();
        lookup.Expiry.Should().BeSameAs(Tombstone);
    }

    [Test]
    public void Session_throws_unless_Active()
    {
        FluentActions.Invoking(() => SessionLookup.NotFound.Session).Should().Throw<InvalidOperationException>();
        FluentActions.Invoking(() => SessionLookup.Expired(Tombstone).Session).Should().Throw<InvalidOperationException>();
    }

    [Test]
    public void Expiry_throws_unless_Expired()
    {
        FluentActions.Invoking(() => SessionLookup.NotFound.Expiry).Should().Throw<InvalidOperationException>();
        FluentActions.Invoking(() => SessionLookup.Active(Info).Expiry).Should().Throw<InvalidOperationException>();
    }

    [Test]
    public void Active_rejects_a_session_without_id() =>
        FluentActions.Invoking(() => SessionLookup.Active(default)).Should().Throw<ArgumentException>();

    [Test]
    public void Expired_rejects_null() =>
        FluentActions.Invoking(() => SessionLookup.Expired(null!)).Should().Throw<ArgumentNullException>();

    [Test]
    public void Match_picks_the_branch_of_the_kind()
    {
        static string Describe(SessionLookup lookup) => lookup.Match(
            active: s => "active:" + s.Owner,
            expired: e => "expired:" + e.Reason.Code,
            notFound: () => "not-found");

        Describe(SessionLookup.Active(Info)).Should().Be("active:alice");
        Describe(SessionLookup.Expired(Tombstone)).Should().Be("expired:deleted");
        Describe(SessionLookup.NotFound).Should().Be("not-found");
        Describe(default).Should().Be("not-found");
    }

    [Test]
    public void Match_rejects_null_functions()
    {
        SessionLookup lookup = SessionLookup.NotFound;
        FluentActions.Invoking(() => lookup.Match(null!, _ => 0, () => 0)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => lookup.Match(_ => 0, null!, () => 0)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => lookup.Match(_ => 0, _ => 0, null!)).Should().Throw<ArgumentNullException>();
    }

    [Test]
    public void TryGetSession_succeeds_only_for_Active()
    {
        SessionLookup.Active(Info).TryGetSession(out SessionInfo session).Should().BeTrue();
        session.Id.Should().Be(Id);

        SessionLookup.Expired(Tombstone).TryGetSession(out _).Should().BeFalse();
        SessionLookup.NotFound.TryGetSession(out _).Should().BeFalse();
    }

    [Test]
    public void TryGetExpiry_succeeds_only_for_Expired()
    {
        SessionLookup.Expired(Tombstone).TryGetExpiry(out ExpiredSession? expired).Should().BeTrue();
        expired.Should().BeSameAs(Tombstone);

        SessionLookup.Active(Info).TryGetExpiry(out ExpiredSession? none).Should().BeFalse();
        none.Should().BeNull();
        SessionLookup.NotFound.TryGetExpiry(out _).Should().BeFalse();
    }

    [Test]
    public void ToString_masks_the_id()
    {
        string active = SessionLookup.Active(Info).ToString();
        string expired = SessionLookup.Expired(Tombstone).ToString();

        active.Should().StartWith("Active").And.Contain(Id.Masked).And.NotContain(Id.ToString());
        expired.Should().StartWith("Expired").And.Contain(Id.Masked).And.Contain("deleted").And.NotContain(Id.ToString());
    }
}
