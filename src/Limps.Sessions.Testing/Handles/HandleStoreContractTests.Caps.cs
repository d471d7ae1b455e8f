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
        using HandleStoreHarness h = Create(o => o.MaxHandles = 3);
        await h.Store.CreateAsync(Basket.Empty, Alice);
        await h.Store.CreateAsync(Basket.Empty, Mallory);
        h.Advance(Hour);
        string young = await h.Store.CreateAsync(Basket.Empty);

        HandleCapacityExceededException refused = (await FluentActions
            .Awaiting(async () => await h.Store.CreateAsync(Basket.Empty, "user:carol"))
            .Should().ThrowAsync<HandleCapacityExceededException>()).Which;
        refused.PerOwner.Should().BeFalse();
        refused.Limit.Should().Be(3);
        (await h.Store.ListAsync("user:carol")).Should().BeEmpty("a refused create leaves nothing behind");

        h.Advance(h.Idle - Hour);
        await h.Store.CreateAsync(Basket.Empty, "user:carol");
        await h.Store.CreateAsync(Basket.Empty, "user:carol");
        (await h.Store.CountAsync()).Should().Be(3);
        (await h.Store.UseAsync(young)).Should().Be(Basket.Empty);
    }
}
