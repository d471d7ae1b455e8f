using NodaTime;

namespace Limps.Sessions.Tests;

public class SessionInfoTests
{
    [Test]
    public void Holds_what_it_was_given()
    {
        SessionId id = SessionId.New();
        var metadata = new Dictionary<string, string> { ["tenant"] = "t1" };
        var info = new SessionInfo(id, TestTime.Start, TestTime.Start + Duration.FromSeconds(3), "bob", metadata);

        info.Id.Should().Be(id);
        info.CreatedAt.Should().Be(TestTime.Start);
        info.LastActiveAt.Should().Be(TestTime.Start + Duration.FromSeconds(3));
        info.Owner.Should().Be("bob");
        info.Metadata.Should().Equal(metadata);
    }

    [Test]
    public void Metadata_is_never_null()
    {
        new SessionInfo(SessionId.New(), TestTime.Start, TestTime.Start).Metadata.Should().NotBeNull().And.BeEmpty();
        default(SessionInfo).Metadata.Should().NotBeNull().And.BeEmpty();
    }

    [Test]
    public void ToString_masks_the_id()
    {
        SessionId id = SessionId.New();
        new SessionInfo(id, TestTime.Start, TestTime.Start).ToString()
            .Should().Contain(id.Masked).And.NotContain(id.ToString());
    }
}
