using Limps.Sessions.AspNetCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the Limps.Sessions health check.</summary>
public static class LimpsSessionsHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check that reports live sessions and tombstones, and <paramref name="failureStatus"/> once the session
    /// capacity is reached.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="failureStatus">The status at capacity; default <see cref="HealthStatus.Degraded"/>.</param>
    /// <param name="tags">Tags for filtering checks.</param>
    /// <returns>The same builder.</returns>
    public static IHealthChecksBuilder AddLimpsSessions(
        this IHealthChecksBuilder builder,
        string name = "limps-sessions",
        HealthStatus? failureStatus = HealthStatus.Degraded,
        IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddCheck<LimpsSessionsHealthCheck>(name, failureStatus, tags ?? []);
    }
}
