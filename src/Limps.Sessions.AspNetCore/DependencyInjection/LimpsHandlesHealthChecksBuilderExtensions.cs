using Limps.Sessions.AspNetCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the Limps.Sessions handle health check.</summary>
public static class LimpsHandlesHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check that reports the live handles of every kind registered with <c>AddLimpsHandles</c>, and
    /// <paramref name="failureStatus"/> once a kind's <c>MaxHandles</c> is reached.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="failureStatus">The status at capacity; default <see cref="HealthStatus.Degraded"/>.</param>
    /// <param name="tags">Tags for filtering checks.</param>
    /// <returns>The same builder.</returns>
    public static IHealthChecksBuilder AddLimpsHandles(
        this IHealthChecksBuilder builder,
        string name = "limps-handles",
        HealthStatus? failureStatus = HealthStatus.Degraded,
        IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddCheck<LimpsHandlesHealthCheck>(name, failureStatus, tags ?? []);
    }
}
