namespace Limps.Sessions.Tests;

public class InMemorySessionRegistryIdReuseTests
{
    [Test]
    public async Task Creating_with_the_id_of_an_overdue_session_ends_it_for_timeout_first()
    {
        using var h = new RegistryHarness();
        SessionInfo first = await h.Registry.CreateAsync(SessionId.Parse("reused-id"));
        h.Advance(h.Idle);

        SessionInfo second = await h.Registry.CreateAsync(first.Id, owner: "alice");

        second.CreatedAt.Should().Be(h.Now);
        (await h.Registry.LookupAsync(first.Id)).Session.Owner.Should().Be("alice");
        ExpiredSession ended = h.Observer.Ended.Should().ContainSingle().Which;
        ended.Reason.Should().Be(ExpiryReason.Timeout);
        ended.ExpiredAt.Should().Be(TestTime.Start + h.Idle);
        h.Registry.Count.Should().Be(1);
    }

    [Test]
    public async Task Creating_with_the_id_of_a_live_session_throws_and_changes_nothing()
    {
        using var h = new RegistryHarness();
        SessionInfo first = await h.Registry.CreateAsync(SessionId.Parse("reused-id"));
        h.Advance(h.Idle - TestTime.OneTick);

        Func<Task> again = async () => await h.Registry.CreateAsync(first.Id);

        await again.Should().ThrowAsync<InvalidOperationException>().WithMessage("*reus...*");
        (await h.Registry.LookupAsync(first.Id)).Session.CreatedAt.Should().Be(TestTime.Start);
        h.Registry.Count.Should().Be(1);
        h.Observer.Ended.Should().BeEmpty();
    }
}
