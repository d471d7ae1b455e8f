// Each test's name says what it proves; the names are the documentation of these public methods.
#pragma warning disable CS1591
using System.Collections.Concurrent;
using NodaTime;

namespace Limps.Sessions.Testing;

// caps
public abstract partial class HandleStoreContractTests
{
    [Test]
    public async Task The_per_owner_cap_refuses_a_new_handle_with_a_specific_exception_until_one_ends()
    {
        using HandleStoreHarness h = Create(o => o.MaxHandlesPerOwner = 2);
        string first = await h.Store.CreateAsync(Basket.Empty, Alice);
        await h.Store.CreateAsync(Basket.Empty, Alice);

        HandleCapacityExceededException refused = (await FluentActions
            .Awaiting(async () => await h.Store.CreateAsync(Basket.Empty, Alice))
            .Should().ThrowAsync<HandleCapacityExceededException>()).Which;

        refused.PerOwner.Should().BeTrue();
        refused.Limit.Should().Be(2);
        refused.Kind.Should().Be("basket");
        refused.Message.Should().NotContain(Alice);
        (await h.Store.CountAsync()).Should().Be(2);
        (await h.Store.ListAsync(Alice)).Should().HaveCount(2);

        await h.Store.CreateAsync(Basket.Empty, Mallory);
        await h.Store.CreateAsync(Basket.Empty);
        await h.Store.CreateAsync(Basket.Empty);
        await h.Store.DestroyAsync(first, Alice);
        await h.Store.CreateAsync(Basket.Empty, Alice);
        (await h.Store.ListAsync(Alice)).Should().HaveCount(2);
    }

    [Test]
    public async Task The_per_owner_cap_ends_the_owners_overdue_handles_before_refusing()
    {
        using HandleStoreHarness h = Create(o => o.MaxHandlesPerOwner = 2);
        await h.Store.CreateAsync(Basket.Empty, Alice);
        await h.Store.CreateAsync(Basket.Empty, Alice);
        h.Advance(h.Idle);

        await h.Store.CreateAsync(Basket.Empty, Alice);

        (await h.Store.ListAsync(Alice)).Should().ContainSingle();
        h.Observer.Ended.Should().HaveCount(2).And.OnlyContain(e => e.Reason == ExpiryReason.Timeout);
    }

    [Test]
    public async Task The_total_cap_refuses_a_new_handle_and_ends_overdue_ones_before_refusing()
    {
        // Every partition filled to its share (one partition, the capacity itself, for an exact store): two old
        // handles and a young one in each. Handles cannot be placed, so extras are destroyed and refused creates
        // (their partition full) tried again.
        StoreCapacity capacity = Capacity;
        int total = capacity.TotalFor(3);
        using HandleStoreHarness h = Create(o => o.MaxHandles = total);
        List<string> old = await FillEveryPartitionAsync(h, capacity, [], upTo: 2, owner: "user:old");
        h.Advance(Hour);
        List<string> young = await FillEveryPartitionAsync(h, capacity, old, upTo: 3, owner: null);
        (await h.Store.CountAsync()).Should().Be(total);

        HandleCapacityExceededException refused = (await FluentActions
            .Awaiting(async () => await h.Store.CreateAsync(Basket.Empty, "user:carol"))
            .Should().ThrowAsync<HandleCapacityExceededException>()).Which;
        refused.PerOwner.Should().BeFalse();
        refused.Limit.Should().Be(total);
        (await h.Store.ListAsync("user:carol")).Should().BeEmpty("a refused create leaves nothing behind");

        h.Advance(h.Idle - Hour);
        await h.Store.CreateAsync(Basket.Empty, "user:carol");
        await h.Store.CreateAsync(Basket.Empty, "user:carol");
        // At least the overdue handles that made room were ended (a store may sweep more at that moment), only those.
        ExpiredSession[] timedOut = [.. h.Observer.Ended.Where(e => e.Reason == ExpiryReason.Timeout)];
        timedOut.Length.Should().BeGreaterThanOrEqualTo(2);
        timedOut.Select(e => e.Id.ToString()).Should().BeSubsetOf(old);
        (await h.Store.CountAsync()).Should().Be(total - timedOut.Length + 2).And.BeLessThanOrEqualTo(total);
        foreach (string handle in young)
        {
            (await h.Store.UseAsync(handle)).Should().Be(Basket.Empty);
        }
    }

    // Creates handles until every partition holds `upTo` live handles of this call's or earlier ones; a handle beyond
    // that in its partition is destroyed, and a create refused because its partition is full is tried again.
    private static async Task<List<string>> FillEveryPartitionAsync(
        HandleStoreHarness h, StoreCapacity capacity, List<string> existing, int upTo, string? owner)
    {
        var kept = new List<string>();
        int[] live = new int[capacity.Partitions];
        foreach (string handle in existing)
        {
            live[capacity.PartitionOf(handle)]++;
        }

        for (int attempt = 0; live.Any(n => n < upTo); attempt++)
        {
            attempt.Should().BeLessThan(100 * capacity.Partitions * upTo, "handles land in every partition");
            string handle;
            try
            {
                handle = await h.Store.CreateAsync(Basket.Empty, owner is null ? null : $"{owner}-{attempt}");
            }
            catch (HandleCapacityExceededException) when (!capacity.IsExact)
            {
                continue;
            }

            int partition = capacity.PartitionOf(handle);
            if (live[partition] < upTo)
            {
                live[partition]++;
                kept.Add(handle);
            }
            else
            {
                await h.Store.DestroyAsync(handle, owner is null ? null : $"{owner}-{attempt}");
            }
        }

        return kept;
    }
}
