// Each test's name says what it proves; the names are the documentation of these public methods.
#pragma warning disable CS1591
using System.Collections.Concurrent;
using NodaTime;

namespace Limps.Sessions.Testing;

/// <summary>
/// The behaviour every <see cref="IHandleStore{TState}"/> owes its callers (design §8), written once and run against
/// each implementation: the in-memory store (the reference semantics), the Redis one, and yours. Subclass it in an
/// NUnit test project, mark the subclass <c>[TestFixture]</c> and return your store of <see cref="Basket"/> from
/// <see cref="Create"/>: every test here then runs against it.
/// </summary>
/// <remarks>
/// Time is a <see cref="NodaTime.Testing.FakeClock"/> at <see cref="TestTime.Start"/>; the store must read every
/// instant from it, and nothing sleeps. Each test creates its own harness, so a store shared between tests needs a
/// fresh key space (for example a new key prefix) per harness.
/// </remarks>
public abstract class HandleStoreContractTests
{
    private const string Alice = "user:alice";
    private const string Mallory = "user:mallory";
    private const string Base64UrlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private static readonly Duration Hour = Duration.FromHours(1);

    /// <summary>Creates a store of kind <c>basket</c> on a fake clock at <see cref="TestTime.Start"/>.</summary>
    /// <param name="configure">Changes the kind's options (from <see cref="HandleStoreHarness.BasketOptions"/>) before the store is created.</param>
    /// <returns>The harness around the new store; the test disposes it.</returns>
    protected abstract HandleStoreHarness Create(Action<HandleKindOptions>? configure = null);

    private static async Task<HandleUnavailableException> Refused(Func<Task> act) =>
        (await act.Should().ThrowAsync<HandleUnavailableException>()).Which;

    private static string Iso(Instant instant) => instant.ToString("uuuu-MM-dd'T'HH:mm:ss.fff'Z'", null);

    // A well-formed handle of the kind that no store minted (the odds of a collision are 2^-128).
    private static string UnknownHandle() => "bsk_" + Base64UrlEncoded(Guid.NewGuid().ToByteArray());

    private static string Base64UrlEncoded(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    // ---- create and use --------------------------------------------------------------------------------------------

    [Test]
    public async Task Create_mints_the_kind_prefix_and_128_random_bits_in_url_safe_characters()
    {
        using HandleStoreHarness h = Create();
        var handles = new HashSet<string>(StringComparer.Ordinal);

        for (int i = 0; i < 500; i++)
        {
            string handle = await h.Store.CreateAsync(Basket.Empty, Alice);
            handle.Should().StartWith("bsk_").And.HaveLength(4 + 22);
            handle[4..].All(c => Base64UrlAlphabet.Contains(c, StringComparison.Ordinal)).Should().BeTrue();
            System.Buffers.Text.Base64Url.DecodeFromChars(handle.AsSpan(4)).Should().HaveCount(16);
            handles.Add(handle).Should().BeTrue("every handle is new");
        }

        (await h.Store.CountAsync()).Should().Be(500);
        h.Observer.Started.Should().HaveCount(500);
    }

    [Test]
    public async Task Use_returns_the_state_it_was_created_with_and_each_handle_keeps_its_own()
    {
        using HandleStoreHarness h = Create();
        string first = await h.Store.CreateAsync(Basket.Of("apple"), Alice);
        string second = await h.Store.CreateAsync(Basket.Of("pear", "plum"), Alice);

        (await h.Store.UseAsync(first, Alice)).Items.Should().Equal("apple");
        (await h.Store.UseAsync(second, Alice)).Items.Should().Equal("pear", "plum");
    }

    [Test]
    public async Task Create_refuses_a_null_state()
    {
        using HandleStoreHarness h = Create();

        await FluentActions.Awaiting(async () => await h.Store.CreateAsync(null!, Alice))
            .Should().ThrowAsync<ArgumentNullException>();
        (await h.Store.CountAsync()).Should().Be(0);
    }

    [Test]
    public async Task Use_restarts_the_idle_clock()
    {
        using HandleStoreHarness h = Create();
        string handle = await h.Store.CreateAsync(Basket.Empty, Alice);

        for (int i = 0; i < 5; i++)
        {
            h.Advance(h.Idle - Duration.FromSeconds(1));
            await h.Store.UseAsync(handle, Alice);
        }

        (await h.Store.CountAsync()).Should().Be(1);
        h.Observer.Ended.Should().BeEmpty();
    }

    // ---- expiry ----------------------------------------------------------------------------------------------------

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

    // ---- destroy and end -------------------------------------------------------------------------------------------

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

    // ---- owners ----------------------------------------------------------------------------------------------------

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

    // ---- bad input -------------------------------------------------------------------------------------------------

    private static IEnumerable<string?> Malformed()
    {
        string valid = "bsk_" + Base64UrlEncoded(new byte[16]);
        yield return null;
        yield return string.Empty;
        yield return "bsk_";
        yield return "bsk_a1b2c3";
        yield return valid[..^1];
        yield return valid + "A";
        yield return new string('a', 100_000);
        yield return "crt_" + valid[4..];                   // another kind's prefix, same length
        yield return "BSK_" + valid[4..];                   // prefixes are case-sensitive
        yield return "bskx" + valid[4..];
        yield return valid[..^1] + "B";                     // non-canonical: the last character's low bits must be clear
        yield return valid[..10] + "+" + valid[11..];       // base64, not base64url
        yield return valid[..10] + " " + valid[11..];
        yield return valid[..10] + "\n" + valid[11..];
        yield return valid[..10] + "é" + valid[11..];
        yield return valid[..10] + "=" + valid[11..];
        yield return " " + valid[..^1];
    }

    [TestCaseSource(nameof(Malformed))]
    public async Task Malformed_text_is_answered_invalid_by_every_operation_and_changes_nothing(string? text)
    {
        using HandleStoreHarness h = Create();
        string live = await h.Store.CreateAsync(Basket.Of("apple"), Alice);
        bool ran = false;

        HandleUnavailableException use = await Refused(async () => await h.Store.UseAsync(text, Alice));
        HandleUnavailableException update = await Refused(async () => await h.Store.UpdateAsync(text, Alice, b => { ran = true; return b; }));
        HandleUnavailableException destroy = await Refused(async () => await h.Store.DestroyAsync(text, Alice));
        (await h.Store.EndAsync(text, ExpiryReason.Closed)).Should().BeFalse();

        foreach (HandleUnavailableException error in new[] { use, update, destroy })
        {
            error.Code.Should().Be(HandleErrorCodes.Invalid);
            error.Kind.Should().Be("basket");
            error.Reason.Should().BeNull();
            error.Handle.Should().Be(text is null ? string.Empty : text.Length <= 128 ? text : text[..128] + "...");
            error.StructuredContent.Should().StartWith("{\"code\":\"HANDLE_INVALID\",\"kind\":\"basket\",\"handle\":");
            error.ToolResultText.Should().EndWith("It may be mistyped, or it ended too long ago to remember. Call create_basket to start a new one.");
            if (text is { Length: > 8 })
            {
                error.Message.Should().NotContain(text);
            }
        }

        ran.Should().BeFalse();
        (await h.Store.UseAsync(live, Alice)).Items.Should().Equal("apple");
        h.Observer.Ended.Should().BeEmpty();
        (await h.LedgerCountAsync()).Should().Be(0);
    }

    [Test]
    public async Task A_well_formed_handle_nobody_created_is_answered_not_found()
    {
        using HandleStoreHarness h = Create();
        string handle = UnknownHandle();

        HandleUnavailableException error = await Refused(async () => await h.Store.UseAsync(handle, Alice));

        error.Code.Should().Be(HandleErrorCodes.NotFound);
        error.ToolResultText.Should().Be(
            $"basket {handle} is not known. It may be mistyped, or it ended too long ago to remember. Call create_basket to start a new one.");
        error.StructuredContent.Should().Be($$"""{"code":"HANDLE_NOT_FOUND","kind":"basket","handle":"{{handle}}"}""");
        error.Message.Should().NotContain(handle).And.Contain(handle[..8] + "...");
    }

    // ---- updates ---------------------------------------------------------------------------------------------------

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

    // ---- list ------------------------------------------------------------------------------------------------------

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

    // ---- caps ------------------------------------------------------------------------------------------------------

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

    // ---- ledger bounds ---------------------------------------------------------------------------------------------

    [Test]
    public async Task An_ended_handle_is_remembered_for_the_retention_then_answered_unknown()
    {
        using HandleStoreHarness h = Create(o => o.LedgerRetention = TimeSpan.FromHours(2));
        string handle = await h.Store.CreateAsync(Basket.Empty, Alice);
        await h.Store.DestroyAsync(handle, Alice);

        h.Advance((Hour * 2) - TestTime.OneTick);
        (await Refused(async () => await h.Store.UseAsync(handle, Alice))).Code.Should().Be(HandleErrorCodes.Expired);

        h.Advance(TestTime.OneTick);
        (await Refused(async () => await h.Store.UseAsync(handle, Alice))).Code.Should().Be(HandleErrorCodes.NotFound);
        await h.Store.SweepAsync();
        (await h.LedgerCountAsync()).Should().Be(0);
    }

    [Test]
    public async Task The_ledger_keeps_at_most_its_capacity_dropping_the_oldest_first()
    {
        using HandleStoreHarness h = Create(o => o.MaxLedgerEntries = 2);
        string[] handles = [await h.Store.CreateAsync(Basket.Empty, Alice), await h.Store.CreateAsync(Basket.Empty, Alice), await h.Store.CreateAsync(Basket.Empty, Alice)];

        foreach (string handle in handles)
        {
            await h.Store.DestroyAsync(handle, Alice);
            h.Advance(Duration.FromMinutes(1));
        }

        (await h.LedgerCountAsync()).Should().Be(2);
        (await Refused(async () => await h.Store.UseAsync(handles[0], Alice))).Code.Should().Be(HandleErrorCodes.NotFound);
        (await Refused(async () => await h.Store.UseAsync(handles[1], Alice))).Code.Should().Be(HandleErrorCodes.Expired);
        (await Refused(async () => await h.Store.UseAsync(handles[2], Alice))).Code.Should().Be(HandleErrorCodes.Expired);
    }

    [Test]
    public async Task A_ledger_with_zero_retention_answers_every_ended_handle_unknown()
    {
        using HandleStoreHarness h = Create(o => o.LedgerRetention = TimeSpan.Zero);
        string handle = await h.Store.CreateAsync(Basket.Empty, Alice);
        await h.Store.DestroyAsync(handle, Alice);

        (await Refused(async () => await h.Store.UseAsync(handle, Alice))).Code.Should().Be(HandleErrorCodes.NotFound);
        (await h.LedgerCountAsync()).Should().Be(0);
    }

    [Test]
    public async Task A_handle_created_without_a_creating_tool_name_has_no_hint()
    {
        using HandleStoreHarness h = Create(o => o.CreateToolName = null);
        string handle = await h.Store.CreateAsync(Basket.Empty);
        await h.Store.DestroyAsync(handle);

        HandleUnavailableException error = await Refused(async () => await h.Store.UseAsync(handle));
        error.ToolResultText.Should().Be($"basket {handle} has expired (reason: deleted, at {Iso(TestTime.Start)}).");
        error.CreateToolName.Should().BeNull();
    }
}
