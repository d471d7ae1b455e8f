using NodaTime;

namespace Limps.Sessions.Testing;

/// <summary>The instants and durations the contract suites use; a harness starts its fake clock at <see cref="Start"/>.</summary>
public static class TestTime
{
    /// <summary>Where every fake clock of the suites starts: 2026-02-11T10:00:00Z.</summary>
    public static readonly Instant Start = Instant.FromUtc(2026, 2, 11, 10, 0);

    /// <summary>The smallest step of a NodaTime clock a store sees (100 ns).</summary>
    public static readonly Duration OneTick = Duration.FromTicks(1);

    /// <summary>A duration of whole minutes.</summary>
    /// <param name="minutes">The number of minutes.</param>
    /// <returns>The duration.</returns>
    public static Duration Minutes(int minutes) => Duration.FromMinutes(minutes);
}
