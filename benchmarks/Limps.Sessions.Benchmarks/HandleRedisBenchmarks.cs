using BenchmarkDotNet.Attributes;
using Limps.Sessions.Redis;
using Limps.Sessions.SampleHost.Tools;
using NodaTime;
using StackExchange.Redis;

namespace Limps.Sessions.Benchmarks;

/// <summary>
/// 8. A handle use on Redis (<see cref="RedisHandleStore{TState}.UseAsync"/>: one script checks the owner, records
/// activity and returns the state as JSON), side by side with a session touch on the same server (one script too) and
/// a plain <c>GET</c> of a value of the same size. The set-up counts the commands sent to the server per operation
/// (through <c>MONITOR</c>, over 1,000 of each), so "one round trip" is shown, not claimed.
/// </summary>
[MemoryDiagnoser]
public class HandleRedisBenchmarks
{
    private const int Handles = 1_000;
    private const string Owner = "user-1";
    private const int CountedOperations = 1_000;

    private LocalRedis? _server;
    private IDatabase _db = null!;
    private RedisSessionRegistry _sessions = null!;
    private RedisHandleStore<Basket> _baskets = null!;
    private SessionId[] _sessionIds = null!;
    private string[] _handles = null!;
    private RedisKey[] _plainKeys = null!;
    private int _next;

    /// <summary>Gets the commands per operation that the last set-up counted, for the results table's notes.</summary>
    internal static IReadOnlyList<CommandCount> CommandCounts { get; private set; } = [];

    [GlobalSetup]
    public void Setup()
    {
        _server = LocalRedis.Start();
        ConnectionMultiplexer connection = _server.Connection;
        _db = connection.GetDatabase();
        var store = new RedisSessionStoreOptions { KeyPrefix = "bench:" };
        _sessions = new RedisSessionRegistry(connection, new LimpsSessionsOptions { MaxSessions = Handles }, store, SystemClock.Instance);
        _baskets = new RedisHandleStore<Basket>(
            connection,
            new HandleKindOptions { Name = "basket", Prefix = "bsk_", MaxHandles = Handles, MaxHandlesPerOwner = Handles },
            SampleJson.Default.Basket,
            store,
            SystemClock.Instance);
        _sessionIds = new SessionId[Handles];
        _handles = new string[Handles];
        _plainKeys = new RedisKey[Handles];
        byte[] emptyBasket = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(Basket.Empty, SampleJson.Default.Basket);
        for (int i = 0; i < Handles; i++)
        {
            _sessionIds[i] = SessionId.New();
            _sessions.CreateAsync(_sessionIds[i], Owner).AsTask().GetAwaiter().GetResult();
            _handles[i] = _baskets.CreateAsync(Basket.Empty, Owner).AsTask().GetAwaiter().GetResult();
            _plainKeys[i] = "plain:" + _handles[i];
            _db.StringSet(_plainKeys[i], emptyBasket);
        }

        // One of each first, so a script's first load (SCRIPT LOAD or EVAL) is not counted against the steady state.
        _ = Redis_StringGet().GetAwaiter().GetResult();
        _ = Session_Touch().GetAwaiter().GetResult();
        _ = Limps_Redis_Handle_Use().GetAwaiter().GetResult();
        CommandCounts =
        [
            Count("handle use", () => Limps_Redis_Handle_Use()),
            Count("session touch", () => Session_Touch()),
            Count("GET", () => Redis_StringGet()),
        ];
        foreach (CommandCount count in CommandCounts)
        {
            Console.WriteLine($"// {count}");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sessions?.Dispose();
        _baskets?.Dispose();
        _server?.Dispose();
    }

    /// <summary>The floor: one round trip for a value the size of the basket's JSON.</summary>
    [Benchmark(Baseline = true)]
    public async Task<bool> Redis_StringGet() => (await _db.StringGetAsync(_plainKeys[Next()])).HasValue;

    /// <summary>A session touch on the same server: one EVALSHA, writing only when activity moved by 1 s.</summary>
    [Benchmark]
    public async Task<bool> Session_Touch() => (await _sessions.TouchAsync(_sessionIds[Next()])).IsActive;

    /// <summary>A basket handle's use as a tool makes it: format check, then one EVALSHA, then the JSON read.</summary>
    [Benchmark]
    public async Task<Basket> Limps_Redis_Handle_Use() => await _baskets.UseAsync(_handles[Next()], Owner);

    private CommandCount Count(string operation, Func<Task> run)
    {
        (double sent, string breakdown, string inScripts) = _server!.CountCommands(CountedOperations, run);
        return new CommandCount(operation, CountedOperations, sent, breakdown, inScripts);
    }

    private int Next()
    {
        int next = _next + 1;
        _next = next == Handles ? 0 : next;
        return _next;
    }
}
