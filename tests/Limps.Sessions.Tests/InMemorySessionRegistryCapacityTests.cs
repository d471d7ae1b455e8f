using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Limps.Sessions.Tests;

/// <summary>MaxSessions: creating past it fails, after ending the overdue sessions first.</summary>
public class InMemorySessionRegistryCapacityTests
{
    [Test]
    public async Task Creating_past_MaxSessions_throws_and_changes_nothing()
    {
        var logger = new FakeLogger<InMemorySessionRegistry>();
        using var h = new RegistryHarness(o => o.MaxSessions = 3, logger);
        for (int i = 0; i < 3; i++)
        {
            await h.Registry.CreateAsync();
        }

        SessionId refused = SessionId.New();
        SessionCapacityExceededException error = (await FluentActions
            .Awaiting(async () => await h.Registry.CreateAsync(refused))
            .Should().ThrowAsync<SessionCapacityExceededException>()).Which;

        error.MaxSessions.Should().Be(3);
        error.Message.Should().Contain("3");
        h.Registry.Count.Should().Be(3);
        (await h.Registry.CountAsync()).Should().Be(3);
        (await h.Registry.LookupAsync(refused)).IsNotFound.Should().BeTrue();
        h.Observer.Started.Should().HaveCount(3);
        logger.Collector.GetSnapshot().Should().Contain(r => r.Level == LogLevel.Warning && r.Id.Name == "SessionCapacityReached");
    }

    [Test]
    public async Task Refusals_do_not_leak_slots()
    {
        using var h = new RegistryHarness(o => o.MaxSessions = 2);
        SessionInfo a = await h.Registry.CreateAsync();
        await h.Registry.CreateAsync();
        for (int i = 0; i < 50; i++)
        {
            await FluentActions.Awaiting(async () => await h.Registry.CreateAsync())
                .Should().ThrowAsync<SessionCapacityExceededException>();
        }

        await h.Registry.EndAsync(a.Id, ExpiryReason.Evicted);
        await h.Registry.CreateAsync();
        h.Registry.Count.Should().Be(2);
        await FluentActions.Awaiting(async () => await h.Registry.CreateAsync())
            .Should().ThrowAsync<SessionCapacityExceededException>();
    }

    [Test]
    public async Task A_duplicate_id_does_not_leak_a_slot()
    {
        using var h = new RegistryHarness(o => o.MaxSessions = 2);
        SessionInfo a = await h.Registry.CreateAsync();
        for (int i = 0; i < 5; i++)
        {
            await FluentActions.Awaiting(async () => await h.Registry.CreateAsync(a.Id))
                .Should().ThrowAsync<InvalidOperationException>();
        }

        h.Registry.Count.Should().Be(1);
        await h.Registry.CreateAsync();
        h.Registry.Count.Should().Be(2);
    }

    [Test]
    public async Task Ending_a_session_frees_a_slot()
    {
        using var h = new RegistryHarness(o => o.MaxSessions = 2);
        SessionInfo a = await h.Registry.CreateAsync();
        await h.Registry.CreateAsync();

        await FluentActions.Awaiting(async () => await h.Registry.CreateAsync())
            .Should().ThrowAsync<SessionCapacityExceededException>();
        (await h.Registry.EndAsync(a.Id, ExpiryReason.Deleted)).Should().BeTrue();

        SessionInfo c = await h.Registry.CreateAsync();
        (await h.Registry.LookupAsync(c.Id)).IsActive.Should().BeTrue();
        h.Registry.Count.Should().Be(2);
    }

    [Test]
    public async Task A_lookup_that_finds_a_session_overdue_frees_its_slot()
    {
        using var h = new RegistryHarness(o => o.MaxSessions = 1);
        SessionInfo a = await h.Registry.CreateAsync();
        h.Advance(h.Idle);

        (await h.Registry.LookupAsync(a.Id)).IsExpired.Should().BeTrue();

        await h.Registry.CreateAsync();
        h.Registry.Count.Should().Be(1);
    }

    [Test]
    public void Exception_constructors()
    {
        new SessionCapacityExceededException().Message.Should().NotBeNullOrWhiteSpace();
        new SessionCapacityExceededException().MaxSessions.Should().BeNull();
        new SessionCapacityExceededException("full").Message.Should().Be("full");
        var inner = new InvalidOperationException("inner");
        var outer = new SessionCapacityExceededException("full", inner);
        outer.InnerException.Should().BeSameAs(inner);
        new SessionCapacityExceededException(7).MaxSessions.Should().Be(7);
    }
}
