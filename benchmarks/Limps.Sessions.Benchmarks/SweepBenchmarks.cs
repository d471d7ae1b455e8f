using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Internal;
using NodaTime;
using NodaTime.Testing;

namespace Limps.Sessions.Benchmarks;

/// <summary>
/// 2. A sweep over 1,000,000 live sessions of which 1,000 are due, side by side with a straightforward full scan of a
/// dictionary of last-activity times (what the MCP SDK's and the TypeScript server's idle checks do) and with
/// <see cref="MemoryCache.Compact"/>, whose expiration scan also visits every entry.
/// </summary>
[MemoryDiagnoser]
public class SweepBenchmarks
{
    public const int Live = 1_000_000;
    public const int Due = 1_000;

    private static readonly Duration Idle = Duration.FromMinutes(30);
    private static readonly Instant T0 = Instant.FromUtc(2026, 2, 11, 10, 0);

    private readonly ConcurrentDictionary<string, long> _lastActive = new();
    private readonly ManualSystemClock _cacheClock = new();
    private FakeClock _clock = null!;
    private InMemorySessionRegistry _registry = null!;
    private MemoryCache _cache = null!;

    // The sessions that are not due were last active an hour after the due ones.
    [GlobalSetup(Target = nameof(Limps_Sweep))]
    public void SetupRegistry()
    {
        _clock = new FakeClock(T0 + Duration.FromHours(1));
        _registry = new InMemorySessionRegistry(
            new LimpsSessionsOptions { IdleTimeout = Idle.ToTimeSpan(), MaxSessions = Live + Due, MaxLedgerEntries = 10_000 },
            _clock);
        for (int i = 0; i < Live - Due; i++)
        {
            _registry.CreateAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    [GlobalSetup(Target = nameof(Dictionary_full_scan))]
    public void SetupDictionary()
    {
        long lastActive = (T0 + Duration.FromHours(1)).ToUnixTimeTicks();
        for (int i = 0; i < Live - Due; i++)
        {
            _lastActive[SessionId.New().ToString()] = lastActive;
        }
    }

    [GlobalSetup(Target = nameof(MemoryCache_Compact))]
    public void SetupCache()
    {
#pragma warning disable CS0618 // MemoryCache still takes its time from ISystemClock.
        _cache = new MemoryCache(new MemoryCacheOptions { Clock = _cacheClock, ExpirationScanFrequency = TimeSpan.MaxValue });
#pragma warning restore CS0618
        _cacheClock.UtcNow = (T0 + Duration.FromHours(1)).ToDateTimeOffset();
        for (int i = 0; i < Live - Due; i++)
        {
            _cache.Set(SessionId.New().ToString(), (object)i, new MemoryCacheEntryOptions { SlidingExpiration = Idle.ToTimeSpan() });
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _registry?.Dispose();
        _cache?.Dispose();
        _lastActive.Clear();
    }

    [IterationSetup(Target = nameof(Limps_Sweep))]
    public void AddDueSessions()
    {
        _clock.Reset(T0);
        for (int i = 0; i < Due; i++)
        {
            _registry.CreateAsync().AsTask().GetAwaiter().GetResult();
        }

        _clock.Reset(T0 + Idle);
    }

    [IterationSetup(Target = nameof(Dictionary_full_scan))]
    public void AddDueEntries()
    {
        long lastActive = T0.ToUnixTimeTicks();
        for (int i = 0; i < Due; i++)
        {
            _lastActive[SessionId.New().ToString()] = lastActive;
        }
    }

    [IterationSetup(Target = nameof(MemoryCache_Compact))]
    public void AddDueCacheEntries()
    {
        _cacheClock.UtcNow = T0.ToDateTimeOffset();
        for (int i = 0; i < Due; i++)
        {
            _cache.Set(SessionId.New().ToString(), (object)i, new MemoryCacheEntryOptions { SlidingExpiration = Idle.ToTimeSpan() });
        }

        _cacheClock.UtcNow = (T0 + Idle).ToDateTimeOffset();
    }

    [Benchmark(Baseline = true)]
    public int Dictionary_full_scan()
    {
        long now = (T0 + Idle).ToUnixTimeTicks();
        long idle = Idle.BclCompatibleTicks;
        int ended = 0;
        foreach (KeyValuePair<string, long> pair in _lastActive)
        {
            if (now - pair.Value >= idle && _lastActive.TryRemove(pair.Key, out _))
            {
                ended++;
            }
        }

        return ended;
    }

    [Benchmark]
    public void MemoryCache_Compact() => _cache.Compact(0);

    [Benchmark]
    public int Limps_Sweep() => _registry.SweepAsync().AsTask().GetAwaiter().GetResult();

    private sealed class ManualSystemClock : ISystemClock
    {
        public DateTimeOffset UtcNow { get; set; }
    }
}
