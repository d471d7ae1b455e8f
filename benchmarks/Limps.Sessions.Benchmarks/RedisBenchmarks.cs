using BenchmarkDotNet.Attributes;
using Limps.Sessions.Redis;
using NodaTime;
using StackExchange.Redis;

namespace Limps.Sessions.Benchmarks;

/// <summary>
/// 6. Touch on the shared Redis registry, side by side with the round trip it cannot beat (a plain <c>GET</c> on the
/// same server) and with the in-memory registry. Starts its own <c>redis-server</c> on 127.0.0.1 and a free port
/// (nothing on disk) and stops it by PID afterwards. Run it only when <see cref="CanRun"/> says so; without
/// redis-server the set-up throws with the reason.
/// </summary>
[MemoryDiagnoser]
public class RedisBenchmarks
{
    private const int Sessions = 1_000;

    private LocalRedis? _server;
    private ConnectionMultiplexer _connection = null!;
    private IDatabase _db = null!;
    private RedisSessionRegistry _redis = null!;
    private RedisSessionRegistry _redisWritingEveryTouch = null!;
    private InMemorySessionRegistry _inMemory = null!;
    private SessionId[] _ids = null!;
    private RedisKey[] _plainKeys = null!;
    private int _next;

    /// <summary>Says whether a redis-server binary is available to run these benchmarks, and if not, why.</summary>
    /// <param name="why">The reason they cannot run.</param>
    /// <returns><see langword="true"/> when they can run.</returns>
    public static bool CanRun(out string why) => LocalRedis.CanRun(out why);

    [GlobalSetup]
    public void Setup()
    {
        _server = LocalRedis.Start();
        _connection = _server.Connection;
        _db = _connection.GetDatabase();
        var lifecycle = new LimpsSessionsOptions { MaxSessions = Sessions };
        _redis = new RedisSessionRegistry(_connection, lifecycle, new RedisSessionStoreOptions { KeyPrefix = "bench:" }, SystemClock.Instance);
        _redisWritingEveryTouch = new RedisSessionRegistry(
            _connection, lifecycle, new RedisSessionStoreOptions { KeyPrefix = "bench0:", TouchWriteTolerance = TimeSpan.Zero }, SystemClock.Instance);
        _inMemory = new InMemorySessionRegistry(lifecycle, SystemClock.Instance);
        _ids = new SessionId[Sessions];
        _plainKeys = new RedisKey[Sessions];
        for (int i = 0; i < Sessions; i++)
        {
            _ids[i] = SessionId.New();
            _plainKeys[i] = "plain:" + _ids[i];
            _redis.CreateAsync(_ids[i]).AsTask().GetAwaiter().GetResult();
            _redisWritingEveryTouch.CreateAsync(_ids[i]).AsTask().GetAwaiter().GetResult();
            _inMemory.CreateAsync(_ids[i]).AsTask().GetAwaiter().GetResult();
            _db.StringSet(_plainKeys[i], "1");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _redis?.Dispose();
        _redisWritingEveryTouch?.Dispose();
        _inMemory?.Dispose();
        _server?.Dispose();
    }

    /// <summary>The floor: one round trip to the same server for a plain string.</summary>
    [Benchmark(Baseline = true)]
    public async Task<bool> Redis_StringGet() => (await _db.StringGetAsync(_plainKeys[Next()])).HasValue;

    /// <summary>Touch: one EVALSHA that answers and writes only when the activity moved by the tolerance (1 s).</summary>
    [Benchmark]
    public async Task<bool> Limps_Redis_Touch() => (await _redis.TouchAsync(_ids[Next()])).IsActive;

    /// <summary>Touch with no write tolerance: every touch also writes the hash and its TTL (still one round trip).</summary>
    [Benchmark]
    public async Task<bool> Limps_Redis_Touch_write_every_time() => (await _redisWritingEveryTouch.TouchAsync(_ids[Next()])).IsActive;

    /// <summary>Lookup without recording activity.</summary>
    [Benchmark]
    public async Task<bool> Limps_Redis_Lookup() => (await _redis.LookupAsync(_ids[Next()])).IsActive;

    /// <summary>A request's lease: begin and release, two round trips.</summary>
    [Benchmark]
    public async Task<bool> Limps_Redis_Lease_begin_and_release()
    {
        SessionLease lease = await _redis.BeginLeaseAsync(_ids[Next()]);
        await lease.DisposeAsync();
        return lease.IsHeld;
    }

    /// <summary>The single-process registry on the same clock, for scale.</summary>
    [Benchmark]
    public async Task<bool> Limps_InMemory_Touch() => (await _inMemory.TouchAsync(_ids[Next()])).IsActive;

    private int Next()
    {
        int next = _next + 1;
        if (next == Sessions)
        {
            next = 0;
        }

        _next = next;
        return next;
    }
}
