using NodaTime;

namespace Limps.Sessions.Tests;

/// <summary>Explicit ends: the first reason wins, exactly once.</summary>
public class InMemorySessionRegistryEndTests
{
    [Test]
    public async Task The_first_end_wins_and_every_later_end_returns_false()
    {
        using var h = new RegistryHarness();
        SessionInfo info = await h.Registry.CreateAsync();

        (await h.Registry.EndAsync(info.Id, ExpiryReason.Deleted)).Should().BeTrue();
        h.Advance(TestTime.Minutes(1));
        (await h.Registry.EndAsync(info.Id, ExpiryReason.Closed)).Should().BeFalse();
        (await h.Registry.EndAsync(info.Id, ExpiryReason.Evicted)).Should().BeFalse();
        (await h.Registry.EndAsync(info.Id, new RevokedReason())).Should().BeFalse();
        (await h.Registry.EndAsync(info.Id, ExpiryReason.Deleted)).Should().BeFalse();
        (await h.Registry.EndAllAsync(ExpiryReason.Closed)).Should().Be(0);
        h.Advance(Duration.FromHours(1));
        (await h.Registry.SweepAsync()).Should().Be(0);

        ExpiredSession tombstone = (await h.Registry.LookupAsync(info.Id)).Expiry;
        tombstone.Reason.Should().Be(ExpiryReason.Deleted);
        tombstone.ExpiredAt.Should().Be(TestTime.Start);
        h.Observer.Ended.Should().ContainSingle();
        h.Ledger.Count.Should().Be(1);
    }

    [Test]
    public void End_rejects_a_null_reason() =>
        FluentActions.Awaiting(async () =>
            {
                using var h = new RegistryHarness();
                SessionInfo info = await h.Registry.CreateAsync();
                await h.Registry.EndAsync(info.Id, null!);
            })
            .Should().ThrowAsync<ArgumentNullException>();

    [Test]
    public async Task A_user_reason_round_trips_by_code()
    {
        using var h = new RegistryHarness();
        SessionInfo info = await h.Registry.CreateAsync();

        (await h.Registry.EndAsync(info.Id, new RevokedReason())).Should().BeTrue();

        ExpiryReason reason = (await h.Registry.LookupAsync(info.Id)).Expiry.Reason;
        reason.Code.Should().Be("revoked");
        reason.Should().Be(ExpiryReason.FromCode("revoked"));
        reason.Should().Be(new RevokedReason());
    }

    [Test]
    public async Task Ending_one_session_leaves_the_others_alone()
    {
        using var h = new RegistryHarness();
        SessionInfo a = await h.Registry.CreateAsync();
        SessionInfo b = await h.Registry.CreateAsync();
        SessionInfo c = await h.Registry.CreateAsync();

        await h.Registry.EndAsync(b.Id, ExpiryReason.Evicted);

        (await h.Registry.LookupAsync(a.Id)).IsActive.Should().BeTrue();
        (await h.Registry.LookupAsync(b.Id)).Expiry.Reason.Should().Be(ExpiryReason.Evicted);
        (await h.Registry.LookupAsync(c.Id)).IsActive.Should().BeTrue();
        h.Registry.Count.Should().Be(2);
    }

    [Test]
    public async Task Ended_sessions_leave_the_sweep_schedule()
    {
        using var h = new RegistryHarness();
        var ids = new List<SessionId>();
        for (int i = 0; i < 200; i++)
        {
            ids.Add((await h.Registry.CreateAsync()).Id);
        }

        foreach (SessionId id in ids.Where((_, i) => i % 2 == 0))
        {
            (await h.Registry.EndAsync(id, ExpiryReason.Closed)).Should().BeTrue();
        }

        h.Advance(h.Idle);
        (await h.Registry.SweepAsync()).Should().Be(100);
        h.Observer.Ended.Should().HaveCount(200);
        h.Observer.EndedCountById.Values.Should().NotContain(count => count != 1);
    }
}
