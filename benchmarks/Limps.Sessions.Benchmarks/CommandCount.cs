using System.Globalization;

namespace Limps.Sessions.Benchmarks;

/// <summary>What redis-server saw per operation of one kind, counted through <c>MONITOR</c>.</summary>
/// <param name="Operation">The operation, for example <c>handle use</c>.</param>
/// <param name="Operations">How many operations were counted.</param>
/// <param name="Sent">Commands clients sent per operation: the round trips, as none of them is pipelined.</param>
/// <param name="SentBreakdown">Which commands were sent, per operation (for example <c>evalsha 1.00</c>).</param>
/// <param name="InScripts">Which commands scripts ran inside the server, per operation (no round trip each).</param>
internal sealed record CommandCount(string Operation, int Operations, double Sent, string SentBreakdown, string InScripts)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"Redis commands sent per {Operation} (MONITOR, {Operations:N0} operations): {Sent:F2} ({SentBreakdown}); run inside scripts: {InScripts}.");
}
