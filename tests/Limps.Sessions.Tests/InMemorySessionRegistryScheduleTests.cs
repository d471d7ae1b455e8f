namespace Limps.Sessions.Tests;

/// <summary>The deadline schedule stays bounded by the live sessions, whatever ends them.</summary>
public class InMemorySessionRegistryScheduleTests
{
    [Test]
    public async Task Sessions_ended_by_DELETE_do_not_pile_up_on_the_schedule()
    {
        using var h = new RegistryHarness(o => o.MaxSessions = 100);
        for (int i = 0; i < 50_000; i++)
        {
            SessionInfo session = await h.Registry.CreateAsync();
            (await h.Registry.EndAsync(session.Id, ExpiryReason.Deleted)).Should().BeTrue();
        }

        h.Registry.Count.Should().Be(0);
        h.Registry.ScheduledCount.Should().BeLessThanOrEqualTo(1024 + 1, "ended sessions are compacted away long before their deadlines");
    }

    [Test]
    public async Task A_sweep_drops_sessions_that_ended_some_other_way_and_ends_only_due_live_ones()
    {
        using var h = new RegistryHarness();
        var deleted = new List<SessionId>();
        var idle = new List<SessionId>();
        for (int i = 0; i < 100; i++)
        {
            SessionInfo a = await h.Registry.CreateAsync();
            SessionInfo b = await h.Registry.CreateAsync();
            await h.Registry.EndAsync(a.Id, ExpiryReason.Deleted);
            deleted.Add(a.Id);
            idle.Add(b.Id);
        }

        h.Advance(h.Idle);

        (await h.Registry.SweepAsync()).Should().Be(100);
        h.Registry.ScheduledCount.Should().Be(0);
        foreach (SessionId id in deleted)
        {
            (await h.Registry.LookupAsync(id)).Expiry.Reason.Should().Be(ExpiryReason.Deleted);
        }

        foreach (SessionId id in idle)
        {
            (await h.Registry.LookupAsync(id)).Expiry.Reason.Should().Be(ExpiryReason.Timeout);
        }
    }

    [Test]
    public async Task Compaction_keeps_every_live_session_scheduled()
    {
        using var h = new RegistryHarness(o => o.MaxSessions = 10_000);
        var keep = new List<SessionId>();
        for (int i = 0; i < 5_000; i++)
        {
            SessionInfo session = await h.Registry.CreateAsync();
            if (i % 10 == 0)
            {
                keep.Add(session.Id);
            }
            else
            {
                await h.Registry.EndAsync(session.Id, ExpiryReason.Deleted);
            }
        }

        h.Advance(h.Idle);

        (await h.Registry.SweepAsync()).Should().Be(keep.Count, "every live session survived compaction on the schedule");
        h.Registry.Count.Should().Be(0);
    }
}
