using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Limps.Sessions.Benchmarks;

// benchmarks/run [--quick]: every benchmark in one process, then one markdown table of Limps against its baselines.
bool quick = args.Contains("--quick");
string? only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();

// The quick job's iterations stay at 100 ms: at 50 ms the pilot stage settled before the JIT had tiered the first
// benchmark up (ConcurrentDictionary_TryGetValue at 75 ns instead of 26 ns), skewing every ratio against it.
Job job = quick
    ? Job.ShortRun.WithWarmupCount(2).WithIterationCount(3).WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(100)).WithLaunchCount(1)
    : Job.Default.WithLaunchCount(1);
job = job.WithToolchain(InProcessEmitToolchain.Instance);

// export: false for a repeat of benchmarks already run, whose report files would replace the whole class's.
IConfig Config(Job j, bool export = true) => ManualConfig.CreateEmpty()
    .AddJob(j)
    .AddColumnProvider(DefaultConfig.Instance.GetColumnProviders().ToArray())
    .AddExporter(export ? DefaultConfig.Instance.GetExporters().ToArray() : [])
    .AddLogger(ConsoleLogger.Default)
    .AddDiagnoser(BenchmarkDotNet.Diagnosers.MemoryDiagnoser.Default)
    .WithOptions(ConfigOptions.DisableOptimizationsValidator | ConfigOptions.JoinSummary);

var rows = new List<ResultRow>();
bool Wanted(string name) => only is null || name.Contains(only, StringComparison.OrdinalIgnoreCase);

// Filled by the groups that add notes under the table.
var notes = new List<string>();
if (Wanted("touch"))
{
    Summary touch = BenchmarkRunner.Run<TouchBenchmarks>(Config(job));

    // The touch pair is mostly cache misses (10,000 sessions, a different one per call), and on a shared machine one
    // run's ratio moved between 1.17 and 2.19 with no code changed. The full run measures the pair twice more and the
    // row is the run with the median ratio; every run's ratio is in the notes.
    ResultRow coarse = Row(touch, "touch, coarse clock (10 ms)", "Limps_Touch_coarse_clock", "ConcurrentDictionary_TryGetValue");
    List<ResultRow> repeats = [coarse];
    for (int repeat = 0; !quick && repeat < 2; repeat++)
    {
        Summary again = RunOnly<TouchBenchmarks>(Config(job, export: false), "ConcurrentDictionary_TryGetValue", "Limps_Touch_coarse_clock");
        repeats.Add(Row(again, coarse.Benchmark, "Limps_Touch_coarse_clock", "ConcurrentDictionary_TryGetValue"));
    }

    ResultRow[] byRatio = [.. repeats.OrderBy(r => r.Ratio)];
    rows.Add(byRatio[byRatio.Length / 2]);
    if (repeats.Count > 1)
    {
        notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"touch, coarse clock: {repeats.Count} runs of the pair, ratios {string.Join(", ", repeats.Select(r => r.Ratio.ToString("F3", CultureInfo.InvariantCulture)))} (in run order); its row is the median run, the other touch rows are from the first."));
    }
    rows.Add(Row(touch, "touch, coarse clock vs MemoryCache sliding", "Limps_Touch_coarse_clock", "MemoryCache_TryGetValue_sliding"));
    rows.Add(Row(touch, "touch, fake clock", "Limps_Touch_fake_clock", "ConcurrentDictionary_TryGetValue"));
    rows.Add(Row(touch, "touch, system clock", "Limps_Touch_system_clock", "ConcurrentDictionary_TryGetValue"));
    rows.Add(Row(touch, "lookup, coarse clock", "Limps_Lookup_coarse_clock", "ConcurrentDictionary_TryGetValue"));
}

if (Wanted("sweep"))
{
    // One sweep per iteration, and BenchmarkDotNet starts every iteration with a full collection over the million
    // live entries (0.3 s, about 1 s beside MemoryCache), even the overhead stage's 30 empty ones: that stage was
    // most of a quick run's 80 s here, for an overhead of about 2 µs against sweeps of 2-300 ms. The quick run skips
    // it and warms up once (the jitting stage has already run each sweep once); the full run keeps both.
    Job sweepJob = job.WithInvocationCount(1).WithUnrollFactor(1);
    sweepJob = quick ? sweepJob.WithEvaluateOverhead(false).WithWarmupCount(1) : sweepJob;
    Summary sweep = BenchmarkRunner.Run<SweepBenchmarks>(Config(sweepJob));
    rows.Add(Row(sweep, "sweep 1M live / 1k due", "Limps_Sweep", "Dictionary_full_scan"));
    rows.Add(Row(sweep, "sweep 1M live / 1k due vs MemoryCache.Compact", "Limps_Sweep", "MemoryCache_Compact"));
}

if (Wanted("churn"))
{
    Summary churn = BenchmarkRunner.Run<ChurnBenchmarks>(Config(job));
    rows.Add(Row(churn, "create + end churn, 2 threads (per session)", "Limps_create_end", "Dictionary_add_remove"));
}

if (Wanted("memory"))
{
    rows.AddRange(MemoryReport.Run(quick ? 200_000 : 1_000_000, quick ? 500_000 : 2_000_000, Console.Out));
}

// The Redis group starts its own redis-server; the quick run leaves it out to stay under three minutes.
if (Wanted("redis") && (!quick || only is not null))
{
    if (RedisBenchmarks.CanRun(out string why))
    {
        Summary redis = BenchmarkRunner.Run<RedisBenchmarks>(Config(job));
        rows.Add(Row(redis, "Redis touch (1 round trip, 1 s write tolerance)", "Limps_Redis_Touch", "Redis_StringGet"));
        rows.Add(Row(redis, "Redis touch, writing every time", "Limps_Redis_Touch_write_every_time", "Redis_StringGet"));
        rows.Add(Row(redis, "Redis lease begin + release (2 round trips)", "Limps_Redis_Lease_begin_and_release", "Redis_StringGet"));
        rows.Add(Row(redis, "in-memory touch vs Redis GET", "Limps_InMemory_Touch", "Redis_StringGet"));
    }
    else
    {
        Console.WriteLine(why);
    }
}

// Handles (design §8, issue 14): a use against a session touch in memory, and on Redis with the commands it runs.
if (Wanted("handles"))
{
    Summary handles = BenchmarkRunner.Run<HandleBenchmarks>(Config(job));
    rows.Add(Row(handles, "handle use vs session touch, in memory (coarse clock)", "Limps_Handle_Use", "Session_Touch"));
    rows.Add(Row(handles, "handle use vs session touch from the header string", "Limps_Handle_Use", "Session_Touch_from_header"));
    rows.Add(Row(handles, "handle use vs hand-written handle table", "Limps_Handle_Use", "ConcurrentDictionary_TryGetValue"));

    // Like the Redis group, left out of the quick run unless asked for by name.
    if (!quick || only is not null)
    {
        if (LocalRedis.CanRun(out string why))
        {
            Summary redisHandles = BenchmarkRunner.Run<HandleRedisBenchmarks>(Config(job));
            rows.Add(Row(redisHandles, "Redis handle use vs Redis session touch", "Limps_Redis_Handle_Use", "Session_Touch"));
            rows.Add(Row(redisHandles, "Redis handle use vs GET of the same JSON", "Limps_Redis_Handle_Use", "Redis_StringGet"));
            Dictionary<string, CommandCount> counts = HandleRedisBenchmarks.CommandCounts.ToDictionary(c => c.Operation);
            if (counts.TryGetValue("handle use", out CommandCount? use) && counts.TryGetValue("session touch", out CommandCount? touch))
            {
                rows.Add(new ResultRow("Redis round trips per handle use (commands sent, counted by MONITOR)", use.Sent, touch.Sent, "per session touch", "commands"));
            }

            notes.AddRange(HandleRedisBenchmarks.CommandCounts.Select(c => c.ToString()));
        }
        else
        {
            Console.WriteLine(why);
        }
    }
}

if (Wanted("end"))
{
    Summary endToEnd = BenchmarkRunner.Run<EndToEndBenchmarks>(Config(job));
    rows.Add(Row(endToEnd, "MCP tools/call echo over loopback", "Sdk_with_Limps_tools_call", "Sdk_alone_tools_call"));
}

Console.WriteLine();
Console.WriteLine($"## Limps.Sessions benchmarks ({(quick ? "quick" : "full")} run, {Environment.ProcessorCount} cores, .NET {Environment.Version})");
Console.WriteLine();
Console.WriteLine("| benchmark | Limps | baseline | ratio | allocated bytes (Limps) |");
Console.WriteLine("|---|---:|---:|---:|---:|");
foreach (ResultRow row in rows)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {row.Benchmark} | {Format(row.Limps, row.Unit)} | {Format(row.Baseline, row.Unit)} ({row.BaselineName}) | {row.Ratio:F3} | {(row.AllocatedBytes is long a ? a.ToString(CultureInfo.InvariantCulture) : "-")} |"));
}

if (notes.Count > 0)
{
    Console.WriteLine();
    foreach (string note in notes)
    {
        Console.WriteLine(note);
    }
}

static string Format(double value, string unit) => unit switch
{
    "ns" when value >= 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{value / 1_000_000:F2} ms"),
    "ns" when value >= 1_000 => string.Create(CultureInfo.InvariantCulture, $"{value / 1_000:F2} µs"),
    "ns" => string.Create(CultureInfo.InvariantCulture, $"{value:F2} ns"),
    "commands" => string.Create(CultureInfo.InvariantCulture, $"{value:F2}"),
    "bytes" when value >= 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{value / 1024 / 1024:F1} MiB"),
    _ => string.Create(CultureInfo.InvariantCulture, $"{value:F1} {unit}"),
};

static ResultRow Row(Summary summary, string name, string limpsMethod, string baselineMethod)
{
    BenchmarkReport limps = Find(summary, limpsMethod);
    BenchmarkReport baseline = Find(summary, baselineMethod);
    return new ResultRow(
        name,
        limps.ResultStatistics?.Mean ?? double.NaN,
        baseline.ResultStatistics?.Mean ?? double.NaN,
        baselineMethod,
        "ns",
        limps.GcStats.GetBytesAllocatedPerOperation(limps.BenchmarkCase));
}

// Runs only the named benchmarks of a class (with their set-up and clean-up), as one more summary.
static Summary RunOnly<T>(IConfig config, params string[] methods)
{
    BenchmarkRunInfo all = BenchmarkConverter.TypeToBenchmarks(typeof(T), config);
    BenchmarkCase[] chosen = [.. all.BenchmarksCases.Where(c => methods.Contains(c.Descriptor.WorkloadMethod.Name))];
    return BenchmarkRunner.Run(new BenchmarkRunInfo(chosen, all.Type, all.Config));
}

static BenchmarkReport Find(Summary summary, string method) =>
    summary.Reports.Single(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method);
