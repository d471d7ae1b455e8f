namespace Limps.Sessions.Benchmarks;

/// <summary>One line of the results table: Limps, what it is compared with, and their ratio.</summary>
internal sealed record ResultRow(string Benchmark, double Limps, double Baseline, string BaselineName, string Unit, long? AllocatedBytes = null)
{
    public double Ratio => Baseline == 0 ? double.NaN : Limps / Baseline;
}
