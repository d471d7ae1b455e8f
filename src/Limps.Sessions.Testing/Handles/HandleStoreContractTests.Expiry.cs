// Each test's name says what it proves; the names are the documentation of these public methods.
#pragma warning disable CS1591
using System.Collections.Concurrent;
using NodaTime;

namespace Limps.Sessions.Testing;

// expiry
public abstract partial class HandleStoreContractTests
{
    [Test]
    public async Task An_idle_handle_is_answered_expired_with_timeout_at_last_activity_plus_idle_even_before_a_sweep()
    {
        using HandleStoreHarness h = Create();
        string handle = await h.Store.CreateAsync(Basket.Of("apple"), Alice);
        h.Advance(Duration.FromHours(10));
        await h.Store.UseAsync(handle, Alice);
        Instant expectedEnd = h.Now + h.Idle;

        h.Advance(h.Idle);
        HandleUnavailableException error = await Refused(async () => await h.Store.UseAsync(handle, Alice));

        error.Code.Should().Be(HandleErrorCodes.Expired);
        error.Kind.Should().Be("basket");
        error.Handle.Should().Be(handle);
        error.Reason.Should().Be(ExpiryReason.Timeout);
        error.ExpiredAt.Should().Be(expectedEnd);
        error.CreateToolName.Should().Be("create_basket");
        error.ToolResultText.Should().Be(
            $"basket {handle} has expired (reason: timeout, at {Iso(expectedEnd)}). Call create_basket to start a new one.");
        error.StructuredContent.Should().Be(
            $$"""{"code":"HANDLE_EXPIRED","kind":"basket","handle":"{{handle}}","reason":"timeout","expiredAt":"{{Iso(expectedEnd)}}"}""");
        error.Message.Should().NotContain(handle);

        // Much later, the answer still names the instant it stopped being usable, not when someone noticed.
        h.Advance(Duration.FromHours(5));
        (await Refused(async () => await h.Store.UseAsync(handle, Alice))).ExpiredAt.Should().Be(expectedEnd);
        h.Observer.Ended.Should().ContainSingle().Which.ExpiredAt.Should().Be(expectedEnd);
    }

    [Test]
    public async Task A_handle_one_tick_before_its_deadline_is_live()
    {
        using HandleStoreHarness h = Create();
        string handle = await h.Store.CreateAsync(Basket.Empty, Alice);

        h.Advance(h.Idle - TestTime.OneTick);
        await h.Store.UseAsync(handle, Alice);
    }

    [Test]
    public async Task A_handle_used_all_along_ends_at_its_max_lifetime_with_reason_lifetime()
    {
        using HandleStoreHarness h = Create(o => o.MaxLifetime = TimeSpan.FromHours(48));
        Instant created = h.Now;
        string handle = await h.Store.CreateAsync(Basket.Empty, Alice);

        for (int i = 0; i < 4; i++)
        {
            h.Advance(Duration.FromHours(11));
            await h.Store.UseAsync(handle, Alice);
        }

        h.Advance(Duration.FromHours(5));
        HandleUnavailableException error = await Refused(async () => await h.Store.UseAsync(handle, Alice));
        error.Reason.Should().Be(ExpiryReason.Lifetime);
        error.ExpiredAt.Should().Be(created + Duration.FromHours(48));
    }

    [Test]
    public async Task Sweep_ends_every_due_handle_once_and_leaves_one_ledger_entry_each()
    {
        using HandleStoreHarness h = Create();
        string[] idle = [await h.Store.CreateAsync(Basket.Empty, Alice), await h.Store.CreateAsync(Basket.Empty), await h.Store.CreateAsync(Basket.Empty, Mallory)];
        h.Advance(Duration.FromHours(12));
        string fresh = await h.Store.CreateAsync(Basket.Empty, Alice);
        h.Advance(Duration.FromHours(12));

        (await h.Store.SweepAsync()).Should().Be(3);
        (await h.Store.SweepAsync()).Should().Be(0);

        (await h.Store.CountAsync()).Should().Be(1);
        h.Observer.Ended.Should().HaveCount(3).And.OnlyContain(e => e.Reason == ExpiryReason.Timeout);
        h.Observer.EndedCountById.Values.Should().OnlyContain(count => count == 1);
        (await h.LedgerCountAsync()).Should().Be(3);
        (await Refused(async () => await h.Store.UseAsync(idle[0], Alice))).Code.Should().Be(HandleErrorCodes.Expired);
        (await Refused(async () => await h.Store.UseAsync(idle[1]))).Code.Should().Be(HandleErrorCodes.Expired);
        (await h.Store.UseAsync(fresh, Alice)).Should().Be(Basket.Empty);
    }
}
