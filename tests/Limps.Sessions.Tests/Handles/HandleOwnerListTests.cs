using NodaTime;
using NodaTime.Testing;

namespace Limps.Sessions.Tests.Handles;

/// <summary>
/// What the in-memory store keeps per owner: "list mine" is exactly the owner's live handles however many ended
/// before, the per-owner cap counts live handles only, and a state larger than a word is read whole while it is updated.
/// </summary>
public class HandleOwnerListTests
{
    private const string Alice = "user:alice";
    private const string Bob = "user:bob";

    private static HandleKindOptions Baskets(int perOwner) =>
        new() { Name = "basket", Prefix = "bsk_", CreateToolName = "create_basket", MaxHandlesPerOwner = perOwner };

    [Test]
    public async Task List_mine_is_exactly_the_live_handles_while_most_of_them_end_in_random_order()
    {
        var clock = new FakeClock(TestTime.Start);
        using var store = new InMemoryHandleStore<string>(Baskets(perOwner: 300), clock);
        var alices = new List<string>();
        for (int i = 0; i < 300; i++)
        {
            alices.Add(await store.CreateAsync($"a{i}", Alice));
            clock.Advance(Duration.FromMilliseconds(1));
        }

        var bobs = new List<string>();
        for (int i = 0; i < 20; i++)
        {
            bobs.Add(await store.CreateAsync($"b{i}", Bob));
        }

        var random = new Random(1515);
        var live = new List<string>(alices);
        for (int round = 0; live.Count > 5; round++)
        {
            string handle = live[random.Next(live.Count)];
            live.Remove(handle);
            if (round % 3 == 0)
            {
                await store.DestroyAsync(handle, Alice);
            }
            else
            {
                (await store.EndAsync(handle, ExpiryReason.Evicted)).Should().BeTrue();
            }

            if (round % 7 == 0 || live.Count <= 10)
            {
                IReadOnlyList<HandleInfo> listed = await store.ListAsync(Alice);
                listed.Select(h => h.Handle).Should().Equal(alices.Where(live.Contains), "listed oldest first, ended ones left out");
            }
        }

        (await store.ListAsync(Bob)).Select(h => h.Handle).Should().BeEquivalentTo(bobs, "created at one instant, so in no particular order");

        // The cap counts live handles only: Alice holds 5 of 300, so 295 more fit and the next does not.
        for (int i = 0; i < 295; i++)
        {
            await store.CreateAsync("again", Alice);
        }

        (await FluentActions.Awaiting(async () => await store.CreateAsync("one too many", Alice))
            .Should().ThrowAsync<HandleCapacityExceededException>()).Which.PerOwner.Should().BeTrue();
        (await store.ListAsync(Alice)).Should().HaveCount(300);
    }

    [Test]
    public async Task An_owner_whose_handles_all_ended_leaves_nothing_behind_and_can_start_again()
    {
        var clock = new FakeClock(TestTime.Start);
        using var store = new InMemoryHandleStore<string>(Baskets(perOwner: 3), clock);
        for (int cycle = 0; cycle < 3; cycle++)
        {
            string[] handles = [await store.CreateAsync("x", Alice), await store.CreateAsync("y", Alice), await store.CreateAsync("z", Alice)];
            foreach (string handle in handles)
            {
                await store.DestroyAsync(handle, Alice);
            }

            (await store.ListAsync(Alice)).Should().BeEmpty();
        }

        clock.Advance(Duration.FromDays(2));
        await store.SweepAsync();
        store.SlotCount.Should().Be(0, "no entry, and with it no state, is kept for ended handles");
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_state_larger_than_a_word_is_never_read_half_updated_and_no_update_is_lost()
    {
        var clock = new FakeClock(TestTime.Start);
        using var store = new InMemoryHandleStore<Pair>(Baskets(perOwner: 10), clock);
        string handle = await store.CreateAsync(new Pair(0, 0), Alice);
        const int Updaters = 3;
        const int UpdatesEach = 5_000;
        int done = 0;
        int torn = 0;

        Task reader = Task.Factory.StartNew(
            async () =>
            {
                while (Volatile.Read(ref done) < Updaters)
                {
                    Pair seen = await store.UseAsync(handle, Alice);
                    if (seen.A != seen.B)
                    {
                        Interlocked.Increment(ref torn);
                    }
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap();
        Task[] updaters = [.. Enumerable.Range(0, Updaters).Select(_ => Task.Run(async () =>
        {
            try
            {
                for (int i = 0; i < UpdatesEach; i++)
                {
                    await store.UpdateAsync(handle, Alice, p => new Pair(p.A + 1, p.B + 1));
                }
            }
            finally
            {
                Interlocked.Increment(ref done);
            }
        }))];

        await Task.WhenAll(updaters);
        await reader;

        torn.Should().Be(0);
        (await store.UseAsync(handle, Alice)).Should().Be(new Pair(Updaters * UpdatesEach, Updaters * UpdatesEach));
    }

    public readonly record struct Pair(long A, long B);
}
