// Each test's name says what it proves; the names are the documentation of these public methods.
#pragma warning disable CS1591
using System.Collections.Concurrent;
using NodaTime;

namespace Limps.Sessions.Testing;

// list
public abstract partial class HandleStoreContractTests
{
    [Test]
    public async Task List_shows_the_callers_live_handles_oldest_first_without_touching_them()
    {
        using HandleStoreHarness h = Create(o => o.MaxLifetime = TimeSpan.FromHours(30));
        string first = await h.Store.CreateAsync(Basket.Empty, Alice);
        h.Advance(Hour);
        string second = await h.Store.CreateAsync(Basket.Empty, Alice);
        string destroyed = await h.Store.CreateAsync(Basket.Empty, Alice);
        await h.Store.CreateAsync(Basket.Empty, Mallory);
        await h.Store.CreateAsync(Basket.Empty);
        await h.Store.DestroyAsync(destroyed, Alice);
        h.Advance(Hour);
        await h.Store.UseAsync(second, Alice);
        h.Advance(Hour);

        IReadOnlyList<HandleInfo> mine = await h.Store.ListAsync(Alice);

        mine.Select(i => i.Handle).Should().Equal(first, second);
        mine[0].CreatedAt.Should().Be(TestTime.Start);
        mine[0].LastActiveAt.Should().Be(TestTime.Start);
        mine[0].ExpiresAt.Should().Be(TestTime.Start + h.Idle);
        mine[1].CreatedAt.Should().Be(TestTime.Start + Hour);
        mine[1].LastActiveAt.Should().Be(TestTime.Start + (Hour * 2));
        mine[1].ExpiresAt.Should().Be(TestTime.Start + Duration.FromHours(26));
        (await h.Store.ListAsync(Mallory)).Should().ContainSingle();
        (await h.Store.ListAsync(null)).Should().BeEmpty("handles without an owner belong to no one to list them for");
        (await h.Store.ListAsync("user:nobody")).Should().BeEmpty();

        // Listing did not touch: the first handle still idles out a day after it was created.
        h.Advance(h.Idle - (Hour * 3));
        (await h.Store.ListAsync(Alice)).Select(i => i.Handle).Should().Equal(second);
        (await Refused(async () => await h.Store.UseAsync(first, Alice))).Reason.Should().Be(ExpiryReason.Timeout);
    }

    [Test]
    public async Task List_reports_the_lifetime_end_when_it_comes_before_the_idle_deadline()
    {
        using HandleStoreHarness h = Create(o => o.MaxLifetime = TimeSpan.FromHours(30));
        string handle = await h.Store.CreateAsync(Basket.Empty, Alice);
        h.Advance(Duration.FromHours(20));
        await h.Store.UseAsync(handle, Alice);

        (await h.Store.ListAsync(Alice)).Should().ContainSingle().Which.ExpiresAt.Should().Be(TestTime.Start + Duration.FromHours(30));
    }
}
