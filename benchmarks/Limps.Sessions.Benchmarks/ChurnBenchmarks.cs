using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;

namespace Limps.Sessions.Benchmarks;

/// <summary>
/// 4. Create and end churn from two threads (per session: create, then end with reason <c>deleted</c>, which also
/// writes a tombstone), side by side with adding and removing the same ids in a concurrent dictionary.
/// </summary>
[MemoryDiagnoser]
public class ChurnBenchmarks
{
    public const int PerThread = 10_000;
    public const int Threads = 2;

    private readonly ConcurrentDictionary<string, long> _dictionary = new();
    private InMemorySessionRegistry _registry = null!;

    [GlobalSetup]
    public void Setup() => _registry = new InMemorySessionRegistry(new LimpsSessionsOptions { MaxSessions = 100_000 });

    [GlobalCleanup]
    public void Cleanup() => _registry.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = PerThread * Threads)]
    public void Dictionary_add_remove() => RunOnThreads(() =>
    {
        for (int i = 0; i < PerThread; i++)
        {
            string id = SessionId.New().ToString();
            _dictionary.TryAdd(id, i);
            _dictionary.TryRemove(id, out _);
        }
    });

    [Benchmark(OperationsPerInvoke = PerThread * Threads)]
    public void Limps_create_end() => RunOnThreads(() =>
    {
        for (int i = 0; i < PerThread; i++)
        {
            SessionInfo session = _registry.CreateAsync().AsTask().GetAwaiter().GetResult();
            _registry.EndAsync(session.Id, ExpiryReason.Deleted).AsTask().GetAwaiter().GetResult();
        }
    });

    private static void RunOnThreads(Action work)
    {
        var threads = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            threads[t] = new Thread(() => work());
            threads[t].Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }
    }
}
