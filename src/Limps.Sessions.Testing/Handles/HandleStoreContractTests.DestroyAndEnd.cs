// Each test's name says what it proves; the names are the documentation of these public methods.
#pragma warning disable CS1591
using System.Collections.Concurrent;
using NodaTime;

namespace Limps.Sessions.Testing;

// destroy and end
public abstract partial class HandleStoreContractTests
{
    [Test]
    public async Task Destroy_ends_the_handle_with_deleted_and_a_later_use_says_so()
    {
        using HandleStoreHarness h = Create();
        string handle = await h.Store.CreateAsync(Basket.Of("apple"), Alice);
        h.Advance(Hour);
        Instant destroyedAt = h.Now;

        await h.Store.DestroyAsync(handle, Alice);
        h.Advance(Hour);

        HandleUnavailableException error = await Refused(async () => await h.Store.UseAsync(handle, Alice));
        error.Code.Should().Be(HandleErrorCodes.Expired);
        error.Reason.Should().Be(ExpiryReason.Deleted);
        error.ExpiredAt.Should().Be(destroyedAt);
        (await h.Store.CountAsync()).Should().Be(0);
        (await h.LedgerCountAsync()).Should().Be(1);
        h.Observer.Ended.Should().ContainSingle().Which.Reason.Should().Be(ExpiryReason.Deleted);
    }

    [Test]
    public async Task Destroy_of_an_ended_handle_answers_how_it_ended_and_changes_nothing()
    {
        using HandleStoreHarness h = Create();
        string handle = await h.Store.CreateAsync(Basket.Empty, Alice);
        await h.Store.DestroyAsync(handle, Alice);
        Instant first = h.Now;
        h.Advance(Hour);

        HandleUnavailableException error = await Refused(async () => await h.Store.DestroyAsync(handle, Alice));

        error.Reason.Should().Be(ExpiryReason.Deleted);
        error.ExpiredAt.Should().Be(first);
        h.Observer.Ended.Should().ContainSingle();
        (await h.LedgerCountAsync()).Should().Be(1);
    }

    [Test]
    public async Task Destroy_of_an_overdue_handle_answers_timeout_first_reason_wins()
    {
        using HandleStoreHarness h = Create();
        string handle = await h.Store.CreateAsync(Basket.Empty, Alice);
        h.Advance(h.Idle + Hour);

        HandleUnavailableException error = await Refused(async () => await h.Store.DestroyAsync(handle, Alice));

        error.Reason.Should().Be(ExpiryReason.Timeout);
        error.ExpiredAt.Should().Be(TestTime.Start + h.Idle);
        h.Observer.Ended.Should().ContainSingle().Which.Reason.Should().Be(ExpiryReason.Timeout);
    }

    [Test]
    public async Task End_with_a_reason_of_the_apps_own_is_answered_with_its_code()
    {
        using HandleStoreHarness h = Create();
        string handle = await h.Store.CreateAsync(Basket.Empty, Alice);
        h.Advance(Hour);

        (await h.Store.EndAsync(handle, new RevokedReason())).Should().BeTrue();
        h.Advance(Hour);

        HandleUnavailableException error = await Refused(async () => await h.Store.UseAsync(handle, Alice));
        error.Reason!.Code.Should().Be("revoked");
        error.Reason.Should().Be(new RevokedReason());
        error.ExpiredAt.Should().Be(TestTime.Start + Hour);
        error.StructuredContent.Should().Contain("\"reason\":\"revoked\"");
    }

    [Test]
    public async Task The_first_end_wins_and_each_handle_ends_exactly_once()
    {
        using HandleStoreHarness h = Create();
        string handle = await h.Store.CreateAsync(Basket.Empty, Alice);

        (await h.Store.EndAsync(handle, ExpiryReason.Closed)).Should().BeTrue();
        (await h.Store.EndAsync(handle, ExpiryReason.Evicted)).Should().BeFalse();
        (await h.Store.EndAsync(handle, new RevokedReason())).Should().BeFalse();
        await Refused(async () => await h.Store.DestroyAsync(handle, Alice));
        h.Advance(h.Idle - Hour);
        await h.Store.SweepAsync();

        (await Refused(async () => await h.Store.UseAsync(handle, Alice))).Reason.Should().Be(ExpiryReason.Closed);
        h.Observer.Ended.Should().ContainSingle().Which.Reason.Should().Be(ExpiryReason.Closed);
        (await h.LedgerCountAsync()).Should().Be(1);
    }

    [Test]
    public async Task End_of_text_that_is_not_a_live_handle_returns_false()
    {
        using HandleStoreHarness h = Create();

        (await h.Store.EndAsync("not a handle", ExpiryReason.Closed)).Should().BeFalse();
        (await h.Store.EndAsync(UnknownHandle(), ExpiryReason.Closed)).Should().BeFalse();
        (await h.Store.EndAsync(null, ExpiryReason.Closed)).Should().BeFalse();
        h.Observer.Ended.Should().BeEmpty();
    }
}
