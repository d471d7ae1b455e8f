// Each test's name says what it proves; the names are the documentation of these public methods.
#pragma warning disable CS1591
using System.Collections.Concurrent;
using NodaTime;

namespace Limps.Sessions.Testing;

// owners
public abstract partial class HandleStoreContractTests
{
    [Test]
    public async Task Another_users_handle_is_answered_exactly_as_an_unknown_one_and_is_not_touched()
    {
        using HandleStoreHarness h = Create();
        string handle = await h.Store.CreateAsync(Basket.Of("apple"), Alice);
        h.Advance(h.Idle - Hour);

        HandleUnavailableException foreign = await Refused(async () => await h.Store.UseAsync(handle, Mallory));
        string unknownHandle = UnknownHandle();
        HandleUnavailableException unknown = await Refused(async () => await h.Store.UseAsync(unknownHandle, Mallory));

        foreign.Code.Should().Be(HandleErrorCodes.NotFound);
        foreign.Reason.Should().BeNull();
        foreign.ExpiredAt.Should().BeNull();
        foreign.ToolResultText.Should().Be(unknown.ToolResultText.Replace(unknownHandle, handle, StringComparison.Ordinal));
        foreign.StructuredContent.Should().Be(unknown.StructuredContent.Replace(unknownHandle, handle, StringComparison.Ordinal));
        foreign.Message.Should().Be(unknown.Message.Replace(unknownHandle[..8], handle[..8], StringComparison.Ordinal));

        // Not touched: it still idles out at creation plus the idle timeout.
        h.Advance(Hour);
        (await Refused(async () => await h.Store.UseAsync(handle, Alice))).ExpiredAt.Should().Be(TestTime.Start + h.Idle);
    }

    [Test]
    public async Task Another_user_can_neither_update_nor_destroy_a_handle()
    {
        using HandleStoreHarness h = Create();
        string handle = await h.Store.CreateAsync(Basket.Of("apple"), Alice);
        bool ran = false;

        (await Refused(async () => await h.Store.UpdateAsync(handle, Mallory, b => { ran = true; return b.Add("x"); })))
            .Code.Should().Be(HandleErrorCodes.NotFound);
        (await Refused(async () => await h.Store.DestroyAsync(handle, Mallory))).Code.Should().Be(HandleErrorCodes.NotFound);
        (await h.Store.ListAsync(Mallory)).Should().BeEmpty();

        ran.Should().BeFalse();
        (await h.Store.UseAsync(handle, Alice)).Items.Should().Equal("apple");
        h.Observer.Ended.Should().BeEmpty();
    }

    [Test]
    public async Task An_ended_handle_of_another_user_is_answered_as_unknown_not_as_expired()
    {
        using HandleStoreHarness h = Create(o => o.LedgerRetention = TimeSpan.FromDays(3));
        string destroyed = await h.Store.CreateAsync(Basket.Empty, Alice);
        string timedOut = await h.Store.CreateAsync(Basket.Empty, Alice);
        await h.Store.DestroyAsync(destroyed, Alice);
        h.Advance(h.Idle + Hour);
        await h.Store.SweepAsync();

        foreach (string handle in new[] { destroyed, timedOut })
        {
            HandleUnavailableException foreign = await Refused(async () => await h.Store.UseAsync(handle, Mallory));
            foreign.Code.Should().Be(HandleErrorCodes.NotFound);
            foreign.ToolResultText.Should().NotContain("expired").And.NotContain("deleted").And.NotContain("timeout");
            (await Refused(async () => await h.Store.UseAsync(handle))).Code.Should().Be(HandleErrorCodes.NotFound);
            (await Refused(async () => await h.Store.UseAsync(handle, Alice))).Code.Should().Be(HandleErrorCodes.Expired);
        }
    }

    [Test]
    public async Task A_handle_without_owner_is_not_usable_by_a_signed_in_user_and_vice_versa()
    {
        using HandleStoreHarness h = Create();
        string anonymous = await h.Store.CreateAsync(Basket.Of("a"));
        string owned = await h.Store.CreateAsync(Basket.Of("b"), Alice);

        (await Refused(async () => await h.Store.UseAsync(anonymous, Alice))).Code.Should().Be(HandleErrorCodes.NotFound);
        (await Refused(async () => await h.Store.UseAsync(owned))).Code.Should().Be(HandleErrorCodes.NotFound);
        (await Refused(async () => await h.Store.UseAsync(owned, "USER:ALICE"))).Code.Should().Be(HandleErrorCodes.NotFound);
        (await h.Store.UseAsync(anonymous)).Items.Should().Equal("a");
        (await h.Store.UseAsync(owned, Alice)).Items.Should().Equal("b");
    }
}
