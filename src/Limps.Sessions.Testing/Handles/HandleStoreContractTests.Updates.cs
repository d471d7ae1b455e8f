// Each test's name says what it proves; the names are the documentation of these public methods.
#pragma warning disable CS1591
using System.Collections.Concurrent;
using NodaTime;

namespace Limps.Sessions.Testing;

// updates
public abstract partial class HandleStoreContractTests
{
    [Test]
    public async Task Update_replaces_the_state_returns_it_and_restarts_the_idle_clock()
    {
        using HandleStoreHarness h = Create();
        string handle = await h.Store.CreateAsync(Basket.Empty, Alice);
        h.Advance(h.Idle - Hour);

        Basket updated = await h.Store.UpdateAsync(handle, Alice, b => b.Add("apple"));
        h.Advance(h.Idle - Hour);

        updated.Items.Should().Equal("apple");
        (await h.Store.UseAsync(handle, Alice)).Items.Should().Equal("apple");
    }

    [Test]
    public async Task An_update_that_throws_leaves_the_state_as_it_was()
    {
        using HandleStoreHarness h = Create();
        string handle = await h.Store.CreateAsync(Basket.Of("apple"), Alice);

        await FluentActions.Awaiting(async () => await h.Store.UpdateAsync(
                handle, Alice, _ => throw new InvalidOperationException("out of stock")))
            .Should().ThrowAsync<InvalidOperationException>().WithMessage("out of stock");

        (await h.Store.UseAsync(handle, Alice)).Items.Should().Equal("apple");
        (await h.Store.UpdateAsync(handle, Alice, b => b.Add("pear"))).Items.Should().Equal("apple", "pear");
    }

    [Test]
    public async Task Update_of_an_ended_handle_answers_how_it_ended_without_running()
    {
        using HandleStoreHarness h = Create(o => o.LedgerRetention = TimeSpan.FromDays(3));
        string destroyed = await h.Store.CreateAsync(Basket.Empty, Alice);
        string idle = await h.Store.CreateAsync(Basket.Empty, Alice);
        await h.Store.DestroyAsync(destroyed, Alice);
        h.Advance(h.Idle);
        bool ran = false;

        (await Refused(async () => await h.Store.UpdateAsync(destroyed, Alice, b => { ran = true; return b; })))
            .Reason.Should().Be(ExpiryReason.Deleted);
        (await Refused(async () => await h.Store.UpdateAsync(idle, Alice, b => { ran = true; return b; })))
            .Reason.Should().Be(ExpiryReason.Timeout);
        ran.Should().BeFalse();
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Concurrent_updates_of_one_handle_lose_nothing()
    {
        const int Writers = 8;
        const int UpdatesEach = 500;
        using HandleStoreHarness h = Create();
        string handle = await h.Store.CreateAsync(Basket.Empty, Alice);
        var returned = new ConcurrentBag<int>();
        using var start = new Barrier(Writers);

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Factory.StartNew(
            async () =>
            {
                start.SignalAndWait();
                for (int i = 0; i < UpdatesEach; i++)
                {
                    Basket next = await h.Store.UpdateAsync(handle, Alice, b => b.Add($"{w}:{i}"));
                    returned.Add(next.Items.Count);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap()));

        Basket final = await h.Store.UseAsync(handle, Alice);
        final.Items.Should().HaveCount(Writers * UpdatesEach).And.OnlyHaveUniqueItems();
        returned.Order().Should().Equal(Enumerable.Range(1, Writers * UpdatesEach), "each update saw the one before");
    }
}
