// Each test's name says what it proves; the names are the documentation of these public methods.
#pragma warning disable CS1591
using System.Collections.Concurrent;
using NodaTime;

namespace Limps.Sessions.Testing;

// capacity: written for one partition (ids chosen to land in it) with the capacity set so that the partition's share
// is the number each test is about; with an exact store (one partition) that is the capacity itself.
public abstract partial class RegistryContractTests
{
    [Test]
    public async Task Creating_past_MaxSessions_throws_and_changes_nothing()
    {
        const int Share = 3;
        StoreCapacity capacity = Capacity;
        int total = capacity.TotalFor(Share);
        using RegistryHarness h = Create(o => o.MaxSessions = total);
        for (int partition = 0; partition < capacity.Partitions; partition++)
        {
            for (int i = 0; i < Share; i++)
            {
                await h.Registry.CreateAsync(capacity.NewSessionIdIn(partition));
            }
        }

        for (int partition = 0; partition < capacity.Partitions; partition++)
        {
            SessionId refused = capacity.NewSessionIdIn(partition);
            SessionCapacityExceededException error = (await FluentActions
                .Awaiting(async () => await h.Registry.CreateAsync(refused))
                .Should().ThrowAsync<SessionCapacityExceededException>($"partition {partition} holds its share")).Which;

            error.MaxSessions.Should().Be(total, "the refusal names the configured capacity");
            (await h.Registry.LookupAsync(refused)).IsNotFound.Should().BeTrue();
        }

        (await h.CountAsync()).Should().Be(total, "never more than the capacity in total");
        h.Observer.Started.Should().HaveCount(total);
    }

    [Test]
    public async Task A_full_partition_refuses_while_the_others_still_admit_their_share()
    {
        // An exact store has one partition: this is the test above. Partitioned, refusals may start early (one full
        // partition), but only in that partition.
        const int Share = 2;
        StoreCapacity capacity = Capacity;
        int total = capacity.TotalFor(Share);
        using RegistryHarness h = Create(o => o.MaxSessions = total);
        for (int i = 0; i < Share; i++)
        {
            await h.Registry.CreateAsync(capacity.NewSessionIdIn(0));
        }

        await FluentActions.Awaiting(async () => await h.Registry.CreateAsync(capacity.NewSessionIdIn(0)))
            .Should().ThrowAsync<SessionCapacityExceededException>();
        for (int partition = 1; partition < capacity.Partitions; partition++)
        {
            for (int i = 0; i < Share; i++)
            {
                SessionInfo admitted = await h.Registry.CreateAsync(capacity.NewSessionIdIn(partition));
                (await h.Registry.LookupAsync(admitted.Id)).IsActive.Should().BeTrue();
            }
        }

        (await h.CountAsync()).Should().Be(total);
        await FluentActions.Awaiting(async () => await h.Registry.CreateAsync())
            .Should().ThrowAsync<SessionCapacityExceededException>("every partition is full: the capacity is reached");
    }

    [Test]
    public async Task When_some_sessions_are_overdue_create_sweeps_first_and_succeeds()
    {
        StoreCapacity capacity = Capacity;
        using RegistryHarness h = Create(o => o.MaxSessions = capacity.TotalFor(3));
        SessionInfo overdue1 = await h.Registry.CreateAsync(capacity.NewSessionIdIn(0));
        SessionInfo overdue2 = await h.Registry.CreateAsync(capacity.NewSessionIdIn(0));
        h.Advance(TestTime.Minutes(10));
        SessionInfo live = await h.Registry.CreateAsync(capacity.NewSessionIdIn(0));
        h.AdvanceTo(TestTime.Start + h.Idle);

        SessionInfo created = await h.Registry.CreateAsync(capacity.NewSessionIdIn(0));

        (await h.CountAsync()).Should().Be(2);
        (await h.Registry.LookupAsync(created.Id)).IsActive.Should().BeTrue();
        (await h.Registry.LookupAsync(live.Id)).IsActive.Should().BeTrue();
        (await h.Registry.LookupAsync(overdue1.Id)).Expiry.Reason.Should().Be(ExpiryReason.Timeout);
        (await h.Registry.LookupAsync(overdue2.Id)).Expiry.Reason.Should().Be(ExpiryReason.Timeout);
    }

    [Test]
    public async Task Leased_sessions_are_not_swept_to_make_room()
    {
        StoreCapacity capacity = Capacity;
        using RegistryHarness h = Create(o => o.MaxSessions = capacity.TotalFor(1));
        SessionInfo info = await h.Registry.CreateAsync(capacity.NewSessionIdIn(0));
        await using SessionLease lease = await h.Registry.BeginLeaseAsync(info.Id);
        h.Advance(h.Idle * 3);

        await FluentActions.Awaiting(async () => await h.Registry.CreateAsync(capacity.NewSessionIdIn(0)))
            .Should().ThrowAsync<SessionCapacityExceededException>();
        (await h.Registry.LookupAsync(info.Id)).IsActive.Should().BeTrue();
    }

    [Test]
    public async Task Ending_a_session_frees_a_slot_and_refusals_leak_none()
    {
        StoreCapacity capacity = Capacity;
        using RegistryHarness h = Create(o => o.MaxSessions = capacity.TotalFor(2));
        SessionInfo a = await h.Registry.CreateAsync(capacity.NewSessionIdIn(0));
        SessionInfo b = await h.Registry.CreateAsync(capacity.NewSessionIdIn(0));
        for (int i = 0; i < 5; i++)
        {
            await FluentActions.Awaiting(async () => await h.Registry.CreateAsync(capacity.NewSessionIdIn(0)))
                .Should().ThrowAsync<SessionCapacityExceededException>();
        }

        (await h.Registry.EndAsync(a.Id, ExpiryReason.Deleted)).Should().BeTrue();
        for (int i = 0; i < 5; i++)
        {
            await FluentActions.Awaiting(async () => await h.Registry.CreateAsync(b.Id))
                .Should().ThrowAsync<InvalidOperationException>();
        }

        SessionInfo c = await h.Registry.CreateAsync(capacity.NewSessionIdIn(0));
        (await h.Registry.LookupAsync(c.Id)).IsActive.Should().BeTrue();
        (await h.CountAsync()).Should().Be(2);
    }

    [Test]
    public async Task At_capacity_a_create_of_a_live_id_is_refused_because_the_id_is_live_and_takes_no_slot()
    {
        StoreCapacity capacity = Capacity;
        using RegistryHarness h = Create(o => o.MaxSessions = capacity.TotalFor(2));
        SessionInfo a = await h.Registry.CreateAsync(capacity.NewSessionIdIn(0));
        await h.Registry.CreateAsync(capacity.NewSessionIdIn(0));

        await FluentActions.Awaiting(async () => await h.Registry.CreateAsync(a.Id))
            .Should().ThrowExactlyAsync<InvalidOperationException>("the id is live, whatever room is left");

        (await h.Registry.LookupAsync(a.Id)).Session.CreatedAt.Should().Be(a.CreatedAt, "the live session is untouched");
        (await h.CountAsync()).Should().Be(2);
        h.Observer.Started.Should().HaveCount(2);
    }
}
