// Each test's name says what it proves; the names are the documentation of these public methods.
#pragma warning disable CS1591
using System.Collections.Concurrent;
using NodaTime;

namespace Limps.Sessions.Testing;

// observers and concurrency
public abstract partial class RegistryContractTests
{
    [Test]
    public async Task Observers_hear_each_start_once_and_each_end_once_whatever_ends_it()
    {
        using RegistryHarness h = Create();
        SessionInfo deleted = await h.Registry.CreateAsync();
        SessionInfo swept = await h.Registry.CreateAsync();
        SessionInfo looked = await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(10));
        SessionInfo closed = await h.Registry.CreateAsync();

        await h.Registry.EndAsync(deleted.Id, ExpiryReason.Deleted);
        h.AdvanceTo(TestTime.Start + h.Idle);
        await h.Registry.LookupAsync(looked.Id);
        await h.Registry.SweepAsync();
        await h.Registry.EndAllAsync(ExpiryReason.Closed);

        h.Observer.Started.Select(s => s.Id).Should().BeEquivalentTo([deleted.Id, swept.Id, looked.Id, closed.Id]);
        h.Observer.EndedCountById.Should().HaveCount(4);
        h.Observer.EndedCountById.Values.Should().OnlyContain(count => count == 1);
        h.Observer.Ended.Single(e => e.Id == closed.Id).Reason.Should().Be(ExpiryReason.Closed);
        h.Observer.Ended.Single(e => e.Id == swept.Id).Reason.Should().Be(ExpiryReason.Timeout);
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Racing_ends_of_one_session_have_exactly_one_winner()
    {
        const int Rounds = 200;
        // Room for every session whichever partition it lands in: the capacity is not what this test is about.
        using RegistryHarness h = Create(o => o.MaxSessions = Capacity.TotalFor(Rounds));
        SessionId[] ids = new SessionId[Rounds];
        var winners = new ConcurrentQueue<ExpiryReason>[Rounds];
        for (int round = 0; round < Rounds; round++)
        {
            ids[round] = (await h.Registry.CreateAsync()).Id;
            winners[round] = new ConcurrentQueue<ExpiryReason>();
        }

        await Task.WhenAll(EndReasons.Select(reason => Task.Run(async () =>
        {
            for (int round = 0; round < Rounds; round++)
            {
                if (await h.Registry.EndAsync(ids[round], reason))
                {
                    winners[round].Enqueue(reason);
                }
            }
        })));

        for (int round = 0; round < Rounds; round++)
        {
            winners[round].Should().ContainSingle();
            (await h.Registry.LookupAsync(ids[round])).Expiry.Reason.Should().Be(winners[round].Single());
        }

        h.Observer.EndedCountById.Should().HaveCount(Rounds);
        h.Observer.EndedCountById.Values.Should().OnlyContain(count => count == 1);
        (await h.LedgerCountAsync()).Should().Be(Rounds);
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Concurrent_sweeps_end_each_due_session_exactly_once()
    {
        const int Sessions = 1_000;
        // Room for every session whichever partition it lands in: the capacity is not what this test is about.
        using RegistryHarness h = Create(o => o.MaxSessions = Capacity.TotalFor(Sessions));
        for (int i = 0; i < Sessions; i++)
        {
            await h.Registry.CreateAsync();
        }

        h.Advance(h.Idle);
        int[] ended = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(async () => await h.Registry.SweepAsync())));

        ended.Sum().Should().Be(Sessions);
        h.Observer.EndedCountById.Should().HaveCount(Sessions);
        h.Observer.EndedCountById.Values.Should().OnlyContain(count => count == 1);
        (await h.CountAsync()).Should().Be(0);
        (await h.LedgerCountAsync()).Should().Be(Sessions);
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Concurrent_creates_respect_the_capacity_exactly()
    {
        // All in one partition, so a partitioned store must hold that partition's share exactly under the race too.
        const int Share = 200;
        StoreCapacity capacity = Capacity;
        using RegistryHarness h = Create(o => o.MaxSessions = capacity.TotalFor(Share));
        SessionId[][] ids = [.. Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, 100).Select(_ => capacity.NewSessionIdIn(0)).ToArray())];
        int created = 0;
        int refused = 0;

        await Task.WhenAll(ids.Select(mine => Task.Run(async () =>
        {
            foreach (SessionId id in mine)
            {
                try
                {
                    await h.Registry.CreateAsync(id);
                    Interlocked.Increment(ref created);
                }
                catch (SessionCapacityExceededException)
                {
                    Interlocked.Increment(ref refused);
                }
            }
        })));

        created.Should().Be(Share);
        refused.Should().Be(400 - Share);
        (await h.CountAsync()).Should().Be(Share);
    }
}
