using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using Limps.Sessions.SampleHost.Tools;

namespace Limps.Sessions.Benchmarks;

/// <summary>
/// 7. A handle use in memory (<see cref="IHandleStore{TState}.UseAsync"/>: parse the handle, check its owner, touch it,
/// return its state), side by side with a session touch on the same clock in the same run (the issue-14 target: within
/// 1.5x of it) and with a plain <see cref="ConcurrentDictionary{TKey,TValue}"/> lookup of the same handle strings,
/// which is what a server author writes by hand (no owner check, no expiry). 10,000 live handles of one owner, a
/// different one each call, as in the touch benchmarks.
/// </summary>
[MemoryDiagnoser]
public class HandleBenchmarks
{
    private const int Handles = 10_000;
    private const string Owner = "user-1";

    private readonly ConcurrentDictionary<string, Basket> _dictionary = new(StringComparer.Ordinal);
    private CoarseClock _clock = null!;
    private InMemorySessionRegistry _sessions = null!;
    private InMemoryHandleStore<Basket> _baskets = null!;
    private SessionId[] _sessionIds = null!;
    private string[] _sessionHeaders = null!;
    private string[] _handles = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _clock = new CoarseClock();
        _sessions = new InMemorySessionRegistry(new LimpsSessionsOptions { MaxSessions = Handles }, _clock);
        _baskets = new InMemoryHandleStore<Basket>(
            new HandleKindOptions { Name = "basket", Prefix = "bsk_", MaxHandles = Handles, MaxHandlesPerOwner = Handles },
            _clock);
        _sessionIds = new SessionId[Handles];
        _sessionHeaders = new string[Handles];
        _handles = new string[Handles];
        for (int i = 0; i < Handles; i++)
        {
            _sessionIds[i] = SessionId.New();
            _sessionHeaders[i] = _sessionIds[i].ToString();
            _sessions.CreateAsync(_sessionIds[i], Owner).AsTask().GetAwaiter().GetResult();
            _handles[i] = _baskets.CreateAsync(Basket.Empty, Owner).AsTask().GetAwaiter().GetResult();
            _dictionary[_handles[i]] = Basket.Empty;
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sessions.Dispose();
        _baskets.Dispose();
        _clock.Dispose();
    }

    /// <summary>For context: the bare lookup a hand-written handle table does.</summary>
    [Benchmark(Baseline = true)]
    public bool ConcurrentDictionary_TryGetValue() => _dictionary.TryGetValue(_handles[Next()], out _);

    /// <summary>The session touch of the touch benchmarks (an id already parsed), on the same coarse clock.</summary>
    [Benchmark]
    public bool Session_Touch() => _sessions.TouchAsync(_sessionIds[Next()]).Result.IsActive;

    /// <summary>What the HTTP check pays per request: the session id parsed from its header string, then touched.</summary>
    [Benchmark]
    public bool Session_Touch_from_header()
    {
        _ = SessionId.TryParse(_sessionHeaders[Next()], out SessionId id);
        return _sessions.TouchAsync(id).Result.IsActive;
    }

    /// <summary>A tool's use of a basket handle as the caller sent it: format check, owner check, touch, state.</summary>
    [Benchmark]
    public Basket Limps_Handle_Use() => _baskets.UseAsync(_handles[Next()], Owner).Result;

    private int Next()
    {
        int next = _next + 1;
        _next = next == Handles ? 0 : next;
        return _next;
    }
}
