// Each test's name says what it proves; the names are the documentation of these public methods.
#pragma warning disable CS1591
using System.Collections.Concurrent;
using NodaTime;

namespace Limps.Sessions.Testing;

// capacity
public abstract partial class RegistryContractTests
{
    [Test]
    public async Task Creating_past_MaxSessions_throws_and_changes_nothing()
    {
        using RegistryHarness h = Create(o => o.MaxSessions = 3);
        for (int i = 0; i < 3; i++)
        {
            await h.Registry.CreateAsync();
        }

        SessionId refused = SessionId.New();
        SessionCapacityExceededException error = (await FluentActions
            .Awaiting(async () => await h.Registry.CreateAsync(refused))
            .Should().ThrowAsync<SessionCapacityExceededException>()).Which;

        error.MaxSessions.Should().Be(3);
        (await h.CountAsync()).Should().Be(3);
        (await h.Registry.LookupAsync(refused)).IsNotFound.Should().BeTrue();
        h.Observer.Started.Should().HaveCount(3);
    }

    [Test]
    public async Task When_some_sessions_are_overdue_create_sweeps_first_and_succeeds()
    {
        using RegistryHarness h = Create(o => o.MaxSessions = 3);
        SessionInfo overdue1 = await h.Registry.CreateAsync();
        SessionInfo overdue2 = await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(10));
        SessionInfo live = await h.Registry.CreateAsync();
        h.AdvanceTo(TestTime.Start + h.Idle);

        SessionInfo created = await h.Registry.CreateAsync();

        (await h.CountAsync()).Should().Be(2);
        (await h.Registry.LookupAsync(created.Id)).IsActive.Should().BeTrue();
        (await h.Registry.LookupAsync(live.Id)).IsActive.Should().BeTrue();
        (await h.Registry.LookupAsync(overdue1.Id)).Expiry.Reason.Should().Be(ExpiryReason.Timeout);
        (await h.Registry.LookupAsync(overdue2.Id)).Expiry.Reason.Should().Be(ExpiryReason.Timeout);
    }

    [Test]
    public async Task Leased_sessions_are_not_swept_to_make_room()
    {
        using RegistryHarness h = Create(o => o.MaxSessions = 1);
        SessionInfo info = await h.Registry.CreateAsync();
        await using SessionLease lease = await h.Registry.BeginLeaseAsync(info.Id);
        h.Advance(h.Idle * 3);

        await FluentActions.Awaiting(async () => await h.Registry.CreateAsync())
            .Should().ThrowAsync<SessionCapacityExceededException>();
        (await h.Registry.LookupAsync(info.Id)).IsActive.Should().BeTrue();
    }

    [Test]
    public async Task Ending_a_session_frees_a_slot_and_refusals_leak_none()
    {
        using RegistryHarness h = Create(o => o.MaxSessions = 2);
        SessionInfo a = await h.Registry.CreateAsync();
        SessionInfo b = await h.Registry.CreateAsync();
        for (int i = 0; i < 5; i++)
        {
            await FluentActions.Awaiting(async () => await h.Registry.CreateAsync())
                .Should().ThrowAsync<SessionCapacityExceededException>();
        }

        (await h.Registry.EndAsync(a.Id, ExpiryReason.Deleted)).Should().BeTrue();
        for (int i = 0; i < 5; i++)
        {
            await FluentActions.Awaiting(async () => await h.Registry.CreateAsync(b.Id))
                .Should().ThrowAsync<InvalidOperationException>();
        }

        SessionInfo c = await h.Registry.CreateAsync();
        (await h.Registry.LookupAsync(c.Id)).IsActive.Should().BeTrue();
        (await h.CountAsync()).Should().Be(2);
    }
}
