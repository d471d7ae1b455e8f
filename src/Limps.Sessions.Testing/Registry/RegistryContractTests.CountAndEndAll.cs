// Each test's name says what it proves; the names are the documentation of these public methods.
#pragma warning disable CS1591
using System.Collections.Concurrent;
using NodaTime;

namespace Limps.Sessions.Testing;

// count and end-all
public abstract partial class RegistryContractTests
{
    [Test]
    public async Task Count_follows_creates_and_ends()
    {
        using RegistryHarness h = Create();
        (await h.CountAsync()).Should().Be(0);

        SessionInfo a = await h.Registry.CreateAsync();
        await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(10));
        await h.Registry.CreateAsync();
        (await h.CountAsync()).Should().Be(3);

        await h.Registry.EndAsync(a.Id, ExpiryReason.Deleted);
        (await h.CountAsync()).Should().Be(2);

        h.AdvanceTo(TestTime.Start + h.Idle);
        (await h.CountAsync()).Should().Be(2, "overdue sessions count until a lookup or a sweep ends them");
        (await h.Registry.SweepAsync()).Should().Be(1);
        (await h.CountAsync()).Should().Be(1);
    }

    [Test]
    public async Task EndAll_ends_every_live_session_and_returns_how_many()
    {
        using RegistryHarness h = Create();
        SessionInfo[] sessions = new SessionInfo[5];
        for (int i = 0; i < sessions.Length; i++)
        {
            sessions[i] = await h.Registry.CreateAsync();
        }

        await h.Registry.EndAsync(sessions[0].Id, ExpiryReason.Deleted);
        h.Advance(TestTime.Minutes(3));

        (await h.Registry.EndAllAsync(ExpiryReason.Closed)).Should().Be(4);

        (await h.CountAsync()).Should().Be(0);
        (await h.Registry.LookupAsync(sessions[0].Id)).Expiry.Reason.Should().Be(ExpiryReason.Deleted);
        foreach (SessionInfo session in sessions.Skip(1))
        {
            ExpiredSession tombstone = (await h.Registry.LookupAsync(session.Id)).Expiry;
            tombstone.Reason.Should().Be(ExpiryReason.Closed);
            tombstone.ExpiredAt.Should().Be(TestTime.Start + TestTime.Minutes(3));
        }

        h.Observer.Ended.Should().HaveCount(5);
        (await h.Registry.EndAllAsync(ExpiryReason.Closed)).Should().Be(0);
    }

    [Test]
    public async Task EndAll_ends_overdue_sessions_for_timeout_without_counting_them()
    {
        using RegistryHarness h = Create();
        SessionInfo overdue = await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(20));
        SessionInfo live = await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(15));

        (await h.Registry.EndAllAsync(ExpiryReason.Closed)).Should().Be(1);

        (await h.CountAsync()).Should().Be(0);
        (await h.Registry.LookupAsync(overdue.Id)).Expiry.Reason.Should().Be(ExpiryReason.Timeout);
        (await h.Registry.LookupAsync(live.Id)).Expiry.Reason.Should().Be(ExpiryReason.Closed);
    }
}
