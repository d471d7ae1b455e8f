using System.Diagnostics;
using Limps.Sessions.Load.Hosting;

namespace Limps.Sessions.Load.Load;

/// <summary>A variant's host, its clients, and what its rounds measured.</summary>
internal sealed class VariantRun(Variant variant) : IAsyncDisposable
{
    private readonly List<McpLoadClient> _clients = [];
    private long[][] _latencyBuffers = [];

    public Variant Variant { get; } = variant;

    public SampleHostProcess? Host { get; private set; }

    public RedisServer? Redis { get; private set; }

    /// <summary>The hosts after the first, for a variant served by several (the clients take turns over all).</summary>
    public List<SampleHostProcess> MoreHosts { get; } = [];

    /// <summary>The variant's Redis Cluster, when it has one instead of a redis-server.</summary>
    public RedisCluster? Cluster { get; set; }

    /// <summary>Why the variant did not run, when it did not.</summary>
    public string? Skipped { get; set; }

    public List<RoundResult> Rounds { get; } = [];

    /// <summary>The connected clients (each on its own session).</summary>
    public IReadOnlyList<McpLoadClient> Clients => _clients;

    /// <summary>Every timed call's latency, in <see cref="Stopwatch"/> ticks.</summary>
    public List<long> Latencies { get; } = [];

    /// <summary>The saturation sweep's rounds, by the number of clients that ran them.</summary>
    public SortedDictionary<int, List<RoundResult>> Sweep { get; } = [];

    public void Attach(SampleHostProcess host, RedisServer? redis)
    {
        Host = host;
        Redis = redis;
    }

    public async Task ConnectClientsAsync(int count, int callsPerClientPerRound, CancellationToken cancellationToken)
    {
        SampleHostProcess[] hosts = [Host!, .. MoreHosts];
        for (int i = 0; i < count; i++)
        {
            _clients.Add(await McpLoadClient.ConnectAsync(hosts[i % hosts.Length].Address, Variant.Tool, cancellationToken).ConfigureAwait(false));
        }

        _latencyBuffers = [.. Enumerable.Range(0, count).Select(_ => new long[callsPerClientPerRound])];
    }

    /// <summary>Freezes the variant's processes between its rounds: only the variant being measured runs.</summary>
    public async Task PauseAsync()
    {
        if (Host is not null)
        {
            await Host.PauseAsync().ConfigureAwait(false);
        }

        if (Redis is not null)
        {
            await Redis.PauseAsync().ConfigureAwait(false);
        }

        foreach (SampleHostProcess host in MoreHosts)
        {
            await host.PauseAsync().ConfigureAwait(false);
        }

        if (Cluster is not null)
        {
            await Cluster.PauseAsync().ConfigureAwait(false);
        }
    }

    private async Task ResumeMoreAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.ResumeAsync().ConfigureAwait(false);
        }

        foreach (SampleHostProcess host in MoreHosts)
        {
            await host.ResumeAsync().ConfigureAwait(false);
        }
    }

    // Every host's spending, summed (null when one probe did not answer).
    private async Task<ProbeReading?> ReadProbesAsync(CancellationToken cancellationToken)
    {
        ProbeReading? total = await Host!.ReadProbeAsync(cancellationToken).ConfigureAwait(false);
        foreach (SampleHostProcess host in MoreHosts)
        {
            ProbeReading? reading = await host.ReadProbeAsync(cancellationToken).ConfigureAwait(false);
            total = total is { } t && reading is { } r ? t + r : null;
        }

        return total;
    }

    /// <summary>Runs the first <paramref name="clients"/> clients in a closed loop for the given time and records the
    /// round: in <see cref="Rounds"/> and <see cref="Latencies"/> for a timed round, in <see cref="Sweep"/> for a sweep
    /// round. The variant's processes run only for the round (and a short settle before it) and are frozen again after.</summary>
    public async Task<RoundResult> RunRoundAsync(TimeSpan length, int clients, bool sweep, CancellationToken cancellationToken)
    {
        if (Redis is not null)
        {
            await Redis.ResumeAsync().ConfigureAwait(false);
        }

        await ResumeMoreAsync().ConfigureAwait(false);
        await Host!.ResumeAsync().ConfigureAwait(false);
        try
        {
            // Let timers that came due while it was frozen fire before the clock starts.
            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
            RoundResult result = await MeasureAsync(length, clients, record: !sweep, cancellationToken).ConfigureAwait(false);
            if (sweep)
            {
                if (!Sweep.TryGetValue(clients, out List<RoundResult>? results))
                {
                    Sweep[clients] = results = [];
                }

                results.Add(result);
            }

            return result;
        }
        finally
        {
            await PauseAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Warms the host up with the first <paramref name="clients"/> clients (as many as the timed rounds run) in
    /// one-second slices for at least <paramref name="minimum"/>, and then until the JIT is done
    /// (a slice in which the host compiled at most a handful of methods: tiered compilation has promoted the hot
    /// path), but never past <paramref name="limit"/>. On a busy machine the JIT's background compiles are starved and a
    /// fixed warm-up can end while the host still runs unoptimised code.
    /// </summary>
    /// <returns>The last slice, and how long the warm-up took.</returns>
    public async Task<(RoundResult Last, TimeSpan Took)> WarmUpAsync(TimeSpan minimum, TimeSpan limit, int clients, CancellationToken cancellationToken)
    {
        if (Redis is not null)
        {
            await Redis.ResumeAsync().ConfigureAwait(false);
        }

        await ResumeMoreAsync().ConfigureAwait(false);
        await Host!.ResumeAsync().ConfigureAwait(false);
        try
        {
            long started = Stopwatch.GetTimestamp();
            while (true)
            {
                RoundResult slice = await MeasureAsync(TimeSpan.FromSeconds(1), clients, record: false, cancellationToken).ConfigureAwait(false);
                TimeSpan took = Stopwatch.GetElapsedTime(started);
                bool settled = slice.Host is not { } host || host.MethodsCompiled <= 5;
                if ((took >= minimum && settled) || took >= limit)
                {
                    return (slice, took);
                }
            }
        }
        finally
        {
            await PauseAsync().ConfigureAwait(false);
        }
    }

    private async Task<RoundResult> MeasureAsync(TimeSpan length, int clients, bool record, CancellationToken cancellationToken)
    {
        ProbeReading? before = await ReadProbesAsync(cancellationToken).ConfigureAwait(false);
        long start = Stopwatch.GetTimestamp();
        long deadline = start + (long)(length.TotalSeconds * Stopwatch.Frequency);
        Task<(int Succeeded, int Failed)>[] loops = [.. _clients.Take(clients).Select((client, i) =>
            Task.Run(() => client.RunAsync(deadline, _latencyBuffers[i], cancellationToken), cancellationToken))];
        (int Succeeded, int Failed)[] counts = await Task.WhenAll(loops).ConfigureAwait(false);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        ProbeReading? after = await ReadProbesAsync(cancellationToken).ConfigureAwait(false);

        var result = new RoundResult(
            counts.Sum(c => c.Succeeded),
            counts.Sum(c => c.Failed),
            seconds,
            before is { } b && after is { } a ? a - b : null);
        if (record)
        {
            Rounds.Add(result);
            for (int i = 0; i < counts.Length; i++)
            {
                Latencies.AddRange(_latencyBuffers[i].AsSpan(0, counts[i].Succeeded + counts[i].Failed));
            }
        }

        return result;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (McpLoadClient client in _clients)
        {
            client.Dispose();
        }

        _clients.Clear();

        // A Redis host still talks to its redis-server while it shuts down: were the server left frozen from the last
        // round, the host's clean shutdown would wait out its Redis timeouts (10 s at the end of every run).
        if (Redis is not null)
        {
            await Redis.ResumeAsync().ConfigureAwait(false);
        }

        await ResumeMoreAsync().ConfigureAwait(false);
        if (Host is not null)
        {
            await Host.DisposeAsync().ConfigureAwait(false);
            Host = null;
        }

        if (Redis is not null)
        {
            await Redis.DisposeAsync().ConfigureAwait(false);
            Redis = null;
        }

        foreach (SampleHostProcess host in MoreHosts)
        {
            await host.DisposeAsync().ConfigureAwait(false);
        }

        MoreHosts.Clear();
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync().ConfigureAwait(false);
            Cluster = null;
        }
    }
}
