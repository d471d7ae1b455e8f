using NodaTime;

namespace Limps.Sessions.Tests;

/// <summary>
/// A logger that throws (a provider whose sink fails; Microsoft.Extensions.Logging rethrows a provider's exception as
/// an AggregateException) neither breaks nor half-does a create, an end or a sweep: the state change completes, every
/// observer (among them the adapter's releaser of the MCP server's own session) hears of it, and a failing observer
/// does not stop the ones after it even when logging that failure throws. (Found by this test; fixed in the registry.)
/// </summary>
public class ThrowingLoggerTests
{
    [Test]
    public async Task A_create_completes_and_is_announced_when_the_logger_throws()
    {
        using var h = new RegistryHarness(logger: new ThrowingLogger<InMemorySessionRegistry>());

        Func<Task<SessionInfo>> create = () => h.Registry.CreateAsync().AsTask();

        SessionInfo session = (await create.Should().NotThrowAsync()).Subject;
        h.Observer.Started.Should().ContainSingle(s => s.Id == session.Id);
        h.Registry.Count.Should().Be(1);
    }

    [Test]
    public async Task An_end_completes_and_every_observer_hears_of_it_when_the_logger_throws()
    {
        using var h = new RegistryHarness(logger: new ThrowingLogger<InMemorySessionRegistry>("SessionEnded"));
        SessionInfo session = await h.Registry.CreateAsync();

        Func<Task<bool>> end = () => h.Registry.EndAsync(session.Id, ExpiryReason.Deleted).AsTask();

        (await end.Should().NotThrowAsync()).Subject.Should().BeTrue();
        h.Observer.EndedFor(session.Id).Should().ContainSingle().Which.Reason.Should().Be(ExpiryReason.Deleted);
        h.Registry.Count.Should().Be(0);
    }

    [Test]
    public async Task A_sweep_ends_every_due_session_and_announces_each_when_the_logger_throws()
    {
        using var h = new RegistryHarness(
            o => o.IdleTimeout = TimeSpan.FromMinutes(1),
            new ThrowingLogger<InMemorySessionRegistry>("SessionEnded", "SweepCompleted"));
        for (int i = 0; i < 5; i++)
        {
            await h.Registry.CreateAsync();
        }

        h.Advance(Duration.FromMinutes(1));
        Func<Task<int>> sweep = () => h.Registry.SweepAsync().AsTask();

        (await sweep.Should().NotThrowAsync()).Subject.Should().Be(5);
        h.Observer.Ended.Should().HaveCount(5);
        h.Registry.Count.Should().Be(0);
    }

    [Test]
    public async Task Observers_after_a_throwing_one_are_told_even_when_logging_that_failure_throws()
    {
        var throwing = new ThrowingObserver();
        using var h = new RegistryHarness(
            logger: new ThrowingLogger<InMemorySessionRegistry>("ObserverFailed"),
            extraObservers: throwing);

        Func<Task<SessionInfo>> create = () => h.Registry.CreateAsync().AsTask();
        SessionInfo session = (await create.Should().NotThrowAsync()).Subject;
        Func<Task<bool>> end = () => h.Registry.EndAsync(session.Id, ExpiryReason.Closed).AsTask();
        await end.Should().NotThrowAsync();

        throwing.StartedCalls.Should().Be(1);
        throwing.EndedCalls.Should().Be(1);
        h.Observer.Started.Should().ContainSingle();
        h.Observer.EndedFor(session.Id).Should().ContainSingle();
    }
}
