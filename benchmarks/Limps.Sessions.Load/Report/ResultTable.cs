using System.Diagnostics;
using System.Globalization;
using Limps.Sessions.Load.Hosting;
using Limps.Sessions.Load.Load;

namespace Limps.Sessions.Load.Report;

/// <summary>
/// The one table the load benchmark prints. Requests per second is the median over rounds; the ratio is the median
/// over rounds of the variant's requests per second divided by SDK alone's in the same round (the rounds are
/// interleaved, so drift in the machine's load hits both alike). p50/p99 are over every timed call. The host's CPU
/// time and bytes allocated per request come from the host itself and do not depend on how busy the machine is.
/// </summary>
internal static class ResultTable
{
    public static void Write(TextWriter output, IReadOnlyList<VariantRun> runs, LoadOptions options)
    {
        string setup = Invariant(
            $"{(options.Quick ? "quick" : "full")} run: {options.Clients} closed-loop clients, warm-up {options.Warmup.TotalSeconds:F0} s, {options.Rounds} interleaved rounds of {options.Round.TotalSeconds:F0} s{SweepSetup(options)}; {Environment.ProcessorCount} cores, .NET {Environment.Version}");

        // One table per tool called, each with its own baseline: echo against the SDK alone, and a tool that uses a
        // basket handle against the same tool over hand-written baskets (no Limps).
        List<VariantRun> echo = [.. runs.Where(r => r.Variant.Tool == "echo")];
        List<VariantRun> baskets = [.. runs.Where(r => r.Variant.Tool == Variant.BasketTool)];
        if (echo.Count > 0 || baskets.Count == 0)
        {
            Write(output, echo, $"## Load: MCP tools/call echo through the sample host ({setup})", Variant.SdkAlone);
        }

        if (baskets.Count > 0)
        {
            Write(output, baskets, $"## Load: MCP tools/call {Variant.BasketTool}, a basket handle used on every call ({setup})", Variant.BasketPlain);
        }
    }

    private static void Write(TextWriter output, IReadOnlyList<VariantRun> runs, string heading, Variant baselineVariant)
    {
        VariantRun? baseline = runs.FirstOrDefault(r => r.Variant == baselineVariant && r.Rounds.Count > 0);
        ProbeReading? baseCost = baseline is null ? null : PerRequestTotals(baseline, out _);
        long baseRequests = baseline?.Rounds.Sum(r => r.Succeeded + r.Failed) ?? 0;

        output.WriteLine();
        output.WriteLine(heading);
        output.WriteLine();
        output.WriteLine($"| variant | requests/s | ratio to {baselineVariant.Name} | p50 | p99 | host CPU/request | allocated/request | gen0 GCs/1k requests | thread-pool items/request | failed |");
        output.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (VariantRun run in runs)
        {
            if (run.Rounds.Count == 0)
            {
                output.WriteLine($"| {run.Variant.Name} | skipped: {run.Skipped ?? "did not run"} | | | | | | | | |");
                continue;
            }

            double rps = Median(run.Rounds.Select(r => r.RequestsPerSecond));
            string ratio = baseline is null
                ? "-"
                : Invariant($"{Median(run.Rounds.Zip(baseline.Rounds, (v, b) => v.RequestsPerSecond / b.RequestsPerSecond)):F3}");
            long[] sorted = [.. run.Latencies];
            Array.Sort(sorted);
            ProbeReading? cost = PerRequestTotals(run, out long requests);
            string cpu = "-", allocated = "-", gen0 = "-", items = "-";
            if (cost is { } c && requests > 0)
            {
                double cpuMicros = c.CpuTicks / 10.0 / requests;
                double bytes = (double)c.AllocatedBytes / requests;
                cpu = Invariant($"{cpuMicros:F1} µs");
                allocated = Invariant($"{bytes:N0} B");
                gen0 = Invariant($"{c.Gen0 * 1000.0 / requests:F2}");
                items = Invariant($"{(double)c.WorkItems / requests:F2}");
                if (baseCost is { } bc && run != baseline && baseRequests > 0)
                {
                    cpu += Invariant($" ({cpuMicros - (bc.CpuTicks / 10.0 / baseRequests):+0.0;-0.0})");
                    allocated += Invariant($" ({bytes - ((double)bc.AllocatedBytes / baseRequests):+#,0;-#,0;0})");
                }
            }

            output.WriteLine(Invariant(
                $"| {run.Variant.Name} | {rps:N0} | {ratio} | {Millis(Percentile(sorted, 0.50))} | {Millis(Percentile(sorted, 0.99))} | {cpu} | {allocated} | {gen0} | {items} | {run.Rounds.Sum(r => r.Failed)} |"));
        }

        output.WriteLine();
        output.WriteLine($"Requests/s: median of the rounds. Ratio: median over rounds of requests/s against {baselineVariant.Name}'s in the same round.");
        output.WriteLine($"Host CPU and allocated bytes per request are read from the host process itself (bracketed: the difference to {baselineVariant.Name}).");
        WriteSweep(output, runs, baseline);
    }

    // Requests/s by the number of clients: where each variant saturates. A cell is the median of that count's rounds,
    // with the median per-round ratio to the baseline at the same count beside it.
    private static void WriteSweep(TextWriter output, IReadOnlyList<VariantRun> runs, VariantRun? baseline)
    {
        int[] counts = [.. runs.SelectMany(r => r.Sweep.Keys).Distinct().Order()];
        if (counts.Length == 0)
        {
            return;
        }

        output.WriteLine();
        output.WriteLine($"Saturation: requests/s by closed-loop clients{(baseline is null ? string.Empty : $" (ratio to {baseline.Variant.Name} at the same count)")}");
        output.WriteLine();
        output.WriteLine($"| variant | {string.Join(" | ", counts.Select(c => Invariant($"{c} clients")))} |");
        output.WriteLine($"|---|{string.Concat(counts.Select(_ => "---:|"))}");
        foreach (VariantRun run in runs.Where(r => r.Sweep.Count > 0))
        {
            IEnumerable<string> cells = counts.Select(count =>
            {
                if (!run.Sweep.TryGetValue(count, out List<RoundResult>? rounds))
                {
                    return "-";
                }

                string cell = Invariant($"{Median(rounds.Select(r => r.RequestsPerSecond)):N0}");
                int failed = rounds.Sum(r => r.Failed);
                if (baseline is not null && run != baseline && baseline.Sweep.TryGetValue(count, out List<RoundResult>? baseRounds))
                {
                    cell += Invariant($" ({Median(rounds.Zip(baseRounds, (v, b) => v.RequestsPerSecond / b.RequestsPerSecond)):F3})");
                }

                return failed == 0 ? cell : Invariant($"{cell}, {failed} failed");
            });
            output.WriteLine($"| {run.Variant.Name} | {string.Join(" | ", cells)} |");
        }
    }

    public static void WriteRound(TextWriter output, string label, VariantRun run, RoundResult result)
    {
        string host = result.Host is { } h && result.Succeeded > 0
            ? Invariant($", host {h.CpuTicks / 10.0 / (result.Succeeded + result.Failed):F1} µs CPU and {(double)h.AllocatedBytes / (result.Succeeded + result.Failed):N0} B per request")
            : string.Empty;
        output.WriteLine(Invariant($"  {label}: {run.Variant.Name,-16} {result.RequestsPerSecond,9:N0} requests/s{host}{(result.Failed > 0 ? $", {result.Failed} failed" : string.Empty)}"));
    }

    private static string SweepSetup(LoadOptions options) => options.Sweep.Count == 0
        ? string.Empty
        : Invariant($"; sweep of {string.Join("/", options.Sweep)} clients, {options.SweepRounds} round{(options.SweepRounds == 1 ? string.Empty : "s")} of {options.SweepRound.TotalSeconds:F0} s each");

    private static ProbeReading? PerRequestTotals(VariantRun run, out long requests)
    {
        requests = run.Rounds.Sum(r => (long)r.Succeeded + r.Failed);
        if (run.Rounds.Any(r => r.Host is null))
        {
            return null;
        }

        return run.Rounds.Select(r => r.Host!.Value).Aggregate((a, b) => a + b);
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
            : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static long Percentile(long[] sorted, double quantile) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(quantile * sorted.Length) - 1)];

    private static string Millis(long ticks) => Invariant($"{ticks * 1000.0 / Stopwatch.Frequency:F2} ms");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
