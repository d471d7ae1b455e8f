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
public abstract partial class HandleStoreContractTests
{
    private const string Alice = "user:alice";
    private const string Mallory = "user:mallory";
    private const string Base64UrlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private static readonly Duration Hour = Duration.FromHours(1);

    /// <summary>Creates a store of kind <c>basket</c> on a fake clock at <see cref="TestTime.Start"/>.</summary>
    /// <param name="configure">Changes the kind's options (from <see cref="HandleStoreHarness.BasketOptions"/>) before the store is created.</param>
    /// <returns>The harness around the new store; the test disposes it.</returns>
    protected abstract HandleStoreHarness Create(Action<HandleKindOptions>? configure = null);

    /// <summary>
    /// Gets how the store enforces <see cref="HandleKindOptions.MaxHandles"/> and
    /// <see cref="HandleKindOptions.MaxLedgerEntries"/>: <see cref="StoreCapacity.Exact"/> unless overridden. A store that
    /// enforces them per partition (a handle's partition given by its text) returns <see cref="StoreCapacity.Partitioned"/>;
    /// the capacity tests then check each partition's share and the total never above the configured capacity. The
    /// per-owner cap (<see cref="HandleKindOptions.MaxHandlesPerOwner"/>) is exact either way.
    /// </summary>
    protected virtual StoreCapacity Capacity => StoreCapacity.Exact;

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
}
