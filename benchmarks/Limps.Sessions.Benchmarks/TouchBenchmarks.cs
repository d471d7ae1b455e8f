using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Memory;
using NodaTime;
using NodaTime.Testing;

namespace Limps.Sessions.Benchmarks;

/// <summary>
/// 1. Touch and lookup of an active session, side by side with what a user would otherwise reach for: a
/// <see cref="ConcurrentDictionary{TKey,TValue}"/> hit and a <see cref="MemoryCache"/> hit on an entry with a
/// sliding expiration (which, like a touch, refreshes the entry's deadline).
/// </summary>
/// <remarks>
/// Like with like: the dictionary and the cache are keyed by the very id strings the registries hold (one string
/// instance per session, as the registry's table keys them), probed in the same order, one call per operation.
/// The registry hashes ids with its own seeded hash; the dictionary uses the runtime's string hashing for string keys.
/// </remarks>
[MemoryDiagnoser]
public class TouchBenchmarks
{
    private const int Sessions = 10_000;

    private readonly ConcurrentDictionary<string, long> _dictionary = new();
    private InMemorySessionRegistry _registry = null!;
    private InMemorySessionRegistry _registryOnSystemClock = null!;
    private InMemorySessionRegistry _registryOnCoarseClock = null!;
    private CoarseClock _coarseClock = null!;
    private MemoryCache _cache = null!;
    private SessionId[] _ids = null!;
    private string[] _keys = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var options = new LimpsSessionsOptions { MaxSessions = Sessions };
        _registry = new InMemorySessionRegistry(options, new FakeClock(Instant.FromUtc(2026, 2, 11, 10, 0)));
        _registryOnSystemClock = new InMemorySessionRegistry(options, SystemClock.Instance);
        _coarseClock = new CoarseClock();
        _registryOnCoarseClock = new InMemorySessionRegistry(options, _coarseClock);
        _cache = new MemoryCache(new MemoryCacheOptions());
        _ids = new SessionId[Sessions];
        _keys = new string[Sessions];
        for (int i = 0; i < Sessions; i++)
        {
            _ids[i] = SessionId.New();
            _keys[i] = _ids[i].ToString();
            _registry.CreateAsync(_ids[i]).AsTask().GetAwaiter().GetResult();
            _registryOnSystemClock.CreateAsync(_ids[i]).AsTask().GetAwaiter().GetResult();
            _registryOnCoarseClock.CreateAsync(_ids[i]).AsTask().GetAwaiter().GetResult();
            _dictionary[_keys[i]] = i;
            _cache.Set(_keys[i], (object)i, new MemoryCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(30) });
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _registry.Dispose();
        _registryOnSystemClock.Dispose();
        _registryOnCoarseClock.Dispose();
        _coarseClock.Dispose();
        _cache.Dispose();
    }

    [Benchmark(Baseline = true)]
    public bool ConcurrentDictionary_TryGetValue() => _dictionary.TryGetValue(_keys[Next()], out _);

    [Benchmark]
    public bool MemoryCache_TryGetValue_sliding() => _cache.TryGetValue(_keys[Next()], out _);

    [Benchmark]
    public bool Limps_Touch_fake_clock() => _registry.TouchAsync(_ids[Next()]).Result.IsActive;

    [Benchmark]
    public bool Limps_Touch_coarse_clock() => _registryOnCoarseClock.TouchAsync(_ids[Next()]).Result.IsActive;

    [Benchmark]
    public bool Limps_Touch_system_clock() => _registryOnSystemClock.TouchAsync(_ids[Next()]).Result.IsActive;

    [Benchmark]
    public bool Limps_Lookup_coarse_clock() => _registryOnCoarseClock.LookupAsync(_ids[Next()]).Result.IsActive;

    private int Next()
    {
        int next = _next + 1;
        _next = next == Sessions ? 0 : next;
        return _next;
    }
}
