using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Limps.Sessions.AspNetCore;

/// <summary>
/// Reports the number of live sessions and tombstones. Healthy while new sessions can be created; the configured
/// failure status (Degraded by default) once the session capacity is reached. Never reports ids.
/// </summary>
internal sealed class LimpsSessionsHealthCheck(
    ISessionRegistry registry,
    IExpiryLedger ledger,
    IOptions<LimpsSessionsOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        int active = await registry.CountAsync(cancellationToken).ConfigureAwait(false);
        int tombstones = await ledger.CountAsync(cancellationToken).ConfigureAwait(false);
        int max = options.Value.MaxSessions;
        var data = new Dictionary<string, object>
        {
            ["activeSessions"] = active,
            ["maxSessions"] = max,
            ["ledgerEntries"] = tombstones,
            ["maxLedgerEntries"] = options.Value.MaxLedgerEntries,
        };

        return active < max
            ? HealthCheckResult.Healthy($"{active} of {max} sessions live; {tombstones} tombstones.", data)
            : new HealthCheckResult(context.Registration.FailureStatus,
                $"Session capacity reached: {active} of {max} sessions live; new sessions are refused.", data: data);
    }
}
