using Limps.Sessions.Load.Hosting;

namespace Limps.Sessions.Load.Load;

/// <summary>One timed round of one variant.</summary>
/// <param name="Succeeded">Calls answered 200.</param>
/// <param name="Failed">Calls answered otherwise.</param>
/// <param name="Seconds">From the start of the round until the last client's last call returned.</param>
/// <param name="Host">What the host spent during the round (null when its probe did not answer).</param>
internal sealed record RoundResult(int Succeeded, int Failed, double Seconds, ProbeReading? Host)
{
    public double RequestsPerSecond => Succeeded / Seconds;
}
