using Limps.Sessions.Redis.Tests.Infrastructure;
using NodaTime;
using NodaTime.Testing;
using StackExchange.Redis;

namespace Limps.Sessions.Redis.Tests.Handles;

/// <summary>
/// What the Redis handle store adds to the contract: baskets shared by replicas and surviving a restart of one, states
/// as JSON (refused at create when they cannot be written), one round trip per use, and keys that go with the handle.
/// </summary>
[CancelAfter(60_000)]
public class RedisHandleStoreTests
{
    private const string Alice = "user:alice";

    private readonly List<IDisposable> _disposables = [];
    private FakeClock _clock = null!;
    private string _prefix = null!;

    [SetUp]
    public void SetUp()
    {
        _clock = new FakeClock(TestTime.Start);
        _prefix = RedisTestServer.NewPrefix();
    }

    [TearDown]
    public void TearDown()
    {
        foreach (IDisposable disposable in _disposables)
        {
            disposable.Dispose();
        }

        _disposables.Clear();
    }

    [Test]
    public async Task A_restart_of_one_replica_loses_no_basket_and_the_other_serves_them_all()
    {
        ConnectionMultiplexer firstConnection = RedisTestServer.Connect(RedisTestServer.Server.Endpoint);
        RedisHandleStore<Basket> first = Store(firstConnection, dispose: false);
        string alices = await first.CreateAsync(Basket.Of("apple"), Alice);
        string anonymous = await first.CreateAsync(Basket.Empty);
        string revoked = await first.CreateAsync(Basket.Empty, Alice);
        await first.UpdateAsync(alices, Alice, b => b.Add("pear"));
        await first.EndAsync(revoked, new RevokedReason());

        // The replica stops: its store and its connection go away.
        first.Dispose();
        await firstConnection.DisposeAsync();
        _clock.Advance(Duration.FromHours(1));

        RedisHandleStore<Basket> second = Store(RedisTestServer.Connect(RedisTestServer.Server.Endpoint));
        (await second.UseAsync(alices, Alice)).Items.Should().Equal("apple", "pear");
        (await second.UpdateAsync(alices, Alice, b => b.Add("plum"))).Items.Should().Equal("apple", "pear", "plum");
        (await second.UseAsync(anonymous)).Items.Should().BeEmpty();
        (await second.ListAsync(Alice)).Select(i => i.Handle).Should().Equal(alices);
        HandleUnavailableException error = (await FluentActions.Awaiting(async () => await second.UseAsync(revoked, Alice))
            .Should().ThrowAsync<HandleUnavailableException>()).Which;
        error.Reason.Should().Be(new RevokedReason(), "a reason of the app's own is read back by its code");
        error.Reason!.Description.Should().Be(new RevokedReason().Description);
        (await second.CountAsync()).Should().Be(2);
    }

    [Test]
    public async Task Concurrent_add_item_on_two_replicas_loses_nothing()
    {
        RedisHandleStore<Basket> a = Store(RedisTestServer.Connect(RedisTestServer.Server.Endpoint));
        RedisHandleStore<Basket> b = Store(RedisTestServer.Connect(RedisTestServer.Server.Endpoint));
        string basket = await a.CreateAsync(Basket.Empty, Alice);

        await Task.WhenAll(
            Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                RedisHandleStore<Basket> replica = w % 2 == 0 ? a : b;
                for (int i = 0; i < 200; i++)
                {
                    await replica.UpdateAsync(basket, Alice, current => current.Add($"{w}:{i}"));
                }
            })));

        Basket final = await b.UseAsync(basket, Alice);
        final.Items.Should().HaveCount(800).And.OnlyHaveUniqueItems();
    }

    [Test]
    public async Task A_state_that_cannot_be_written_as_JSON_fails_at_create_with_a_clear_exception_and_creates_nothing()
    {
        var store = new RedisHandleStore<Unwritable>(
            RedisTestServer.Connection,
            HandleStoreHarness.BasketOptions(),
            HandleJsonContext.Default.Unwritable,
            new RedisSessionStoreOptions { KeyPrefix = _prefix },
            _clock);
        _disposables.Add(store);
        var loop = new Unwritable();
        loop.Self = loop;

        HandleStateSerializationException error = (await FluentActions.Awaiting(async () => await store.CreateAsync(loop, Alice))
            .Should().ThrowAsync<HandleStateSerializationException>()).Which;

        // The core's one exception and message, as every store that serializes states throws.
        (error.Kind, error.StateType).Should().Be(("basket", typeof(Unwritable)));
        error.Message.Should().Contain($"new or updated basket handle ({typeof(Unwritable).FullName}) cannot be serialized to JSON");
        (await store.CountAsync()).Should().Be(0);
        (await store.ListAsync(Alice)).Should().BeEmpty();
    }

    [Test]
    public async Task An_update_whose_result_cannot_be_written_leaves_the_state_as_it_was()
    {
        var store = new RedisHandleStore<Unwritable>(
            RedisTestServer.Connection,
            HandleStoreHarness.BasketOptions(),
            HandleJsonContext.Default.Unwritable,
            new RedisSessionStoreOptions { KeyPrefix = _prefix },
            _clock);
        _disposables.Add(store);
        string handle = await store.CreateAsync(new Unwritable(), Alice);

        await FluentActions.Awaiting(async () => await store.UpdateAsync(handle, Alice, current =>
            {
                current.Self = current;
                return current;
            }))
            .Should().ThrowAsync<HandleStateSerializationException>();

        (await store.UseAsync(handle, Alice)).Self.Should().BeNull();
    }

    [Test]
    public async Task A_handles_keys_live_under_its_kind_and_go_with_it()
    {
        RedisHandleStore<Basket> store = Store(RedisTestServer.Connection);
        IDatabase db = RedisTestServer.Connection.GetDatabase();
        string handle = await store.CreateAsync(Basket.Of("apple"), Alice);
        string kindPrefix = _prefix + "h:basket:";
        RedisKey hash = new RedisKeys(kindPrefix).Session(SessionId.Parse(handle));

        store.KeyPrefix.Should().Be(kindPrefix);
        (await db.HashGetAsync(hash, "st")).Should().Be("""{"Items":["apple"]}""");
        (await db.HashGetAsync(hash, "sv")).Should().Be(1);
        (await db.HashGetAsync(hash, "o")).Should().Be(Alice);
        (await db.SortedSetScoreAsync(new RedisKeys(kindPrefix).Owned(Alice), handle)).Should().NotBeNull();
        (await db.KeyTimeToLiveAsync(hash)).Should().NotBeNull("a handle's keys expire with it");

        await store.UpdateAsync(handle, Alice, b => b.Add("pear"));
        (await db.HashGetAsync(hash, "sv")).Should().Be(2);

        await store.DestroyAsync(handle, Alice);
        (await db.KeyExistsAsync(hash)).Should().BeFalse("the state goes with the handle");
        (await db.SortedSetScoreAsync(new RedisKeys(kindPrefix).Owned(Alice), handle)).Should().BeNull();
        (await db.HashGetAsync(new RedisKeys(kindPrefix).Tombstone(SessionId.Parse(handle)), "o")).Should().Be(Alice, "the tombstone keeps the owner");
        (await db.KeyExistsAsync(new RedisKeys(_prefix).Session(SessionId.Parse(handle)))).Should().BeFalse("handles are not sessions");
    }

    [Test]
    public async Task The_per_owner_cap_holds_across_replicas()
    {
        RedisHandleStore<Basket> a = Store(RedisTestServer.Connection, o => o.MaxHandlesPerOwner = 3);
        RedisHandleStore<Basket> b = Store(RedisTestServer.Connect(RedisTestServer.Server.Endpoint), o => o.MaxHandlesPerOwner = 3);

        Task<string>[] creates = [.. Enumerable.Range(0, 8).Select(i => (i % 2 == 0 ? a : b).CreateAsync(Basket.Empty, Alice).AsTask())];
        await Task.WhenAll(creates.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));

        creates.Count(t => t.IsCompletedSuccessfully).Should().Be(3);
        creates.Where(t => t.IsFaulted).Should().AllSatisfy(t => t.Exception!.InnerException.Should().BeOfType<HandleCapacityExceededException>());
        (await a.ListAsync(Alice)).Should().HaveCount(3);
    }

    [Test]
    public async Task A_use_waits_for_Redis_once_and_an_update_twice()
    {
        IServer server = RedisTestServer.Connection.GetServer(RedisTestServer.Server.Endpoint);
        foreach ((string _, RedisScript script) in RedisScripts.All)
        {
            await server.ScriptLoadAsync(script.Text);
        }

        await using DelayingRedisProxy proxy = DelayingRedisProxy.Start(RedisTestServer.Server.Endpoint);
        RedisHandleStore<Basket> store = Store(RedisTestServer.Connect(proxy.Endpoint));
        string handle = await store.CreateAsync(Basket.Of("apple"), Alice);
        Dictionary<string, string> names = RedisScripts.All.ToDictionary(s => "EVALSHA " + Convert.ToHexStringLower(s.Script.Hash), s => s.Name);
        List<string> Scripts() => [.. proxy.Sent.Commands.Where(names.ContainsKey).Select(c => names[c])];

        proxy.Sent.Clear();
        (await store.UseAsync(handle, Alice)).Items.Should().Equal("apple");
        Scripts().Should().Equal(["requests"], "owner check, touch and state in one call of the request script");

        proxy.Sent.Clear();
        await store.UpdateAsync(handle, Alice, b => b.Add("pear"));
        Scripts().Should().Equal(["requests", "requests"], "the use, then the compare-and-set write, each a call of the request script");

        proxy.Sent.Clear();
        await FluentActions.Awaiting(async () => await store.UseAsync(handle, "user:mallory")).Should().ThrowAsync<HandleUnavailableException>();
        Scripts().Should().Equal(["requests"]);
    }

    [Test]
    public async Task A_create_whose_answer_came_too_late_is_taken_back_with_its_state_and_owner_entry()
    {
        IServer server = RedisTestServer.Connection.GetServer(RedisTestServer.Server.Endpoint);
        foreach ((string _, RedisScript script) in RedisScripts.All)
        {
            await server.ScriptLoadAsync(script.Text);
        }

        await using DelayingRedisProxy proxy = DelayingRedisProxy.Start(RedisTestServer.Server.Endpoint);
        ConnectionMultiplexer connection = RedisTestServer.Connect(proxy.Endpoint);
        var store = new RedisHandleStore<Basket>(
            connection,
            HandleStoreHarness.BasketOptions(),
            HandleJsonContext.Default.Basket,
            new RedisSessionStoreOptions { KeyPrefix = _prefix, OperationTimeout = TimeSpan.FromMilliseconds(250) },
            _clock);
        _disposables.Add(store);
        _disposables.Add(connection);
        IDatabase direct = RedisTestServer.Connection.GetDatabase();

        proxy.HoldReplies();
        await FluentActions.Awaiting(async () => await store.CreateAsync(Basket.Of("apple"), Alice))
            .Should().ThrowAsync<SessionStoreUnavailableException>();
        (await direct.SortedSetLengthAsync(new RedisKeys(store.KeyPrefix).Owned(Alice))).Should().Be(1, "Redis created it all the same");
        proxy.ReleaseReplies();

        (await Eventually.TrueAsync(async () =>
            {
                await store.Registry.BeatAsync();
                return store.Registry.PendingWrites == 0;
            }))
            .Should().BeTrue();
        (await direct.SortedSetLengthAsync(new RedisKeys(store.KeyPrefix).Owned(Alice))).Should().Be(0, "the owner's cap does not count it");
        (await store.CountAsync()).Should().Be(0);
    }

    private RedisHandleStore<Basket> Store(IConnectionMultiplexer connection, Action<HandleKindOptions>? configure = null, bool dispose = true)
    {
        HandleKindOptions options = HandleStoreHarness.BasketOptions();
        configure?.Invoke(options);
        var store = new RedisHandleStore<Basket>(
            connection, options, HandleJsonContext.Default.Basket, new RedisSessionStoreOptions { KeyPrefix = _prefix }, _clock);
        if (dispose)
        {
            _disposables.Add(store);
            if (!ReferenceEquals(connection, RedisTestServer.Connection))
            {
                _disposables.Add((IDisposable)connection);
            }
        }

        return store;
    }
}
