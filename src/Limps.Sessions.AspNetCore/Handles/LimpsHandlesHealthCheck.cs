using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Limps.Sessions.AspNetCore;

/// <summary>
/// Reports the live handles of every registered kind against its <see cref="HandleKindOptions.MaxHandles"/>. Healthy
/// while every kind can create handles; the configured failure status (Degraded by default) once one is at capacity.
/// Never reports handles.
/// </summary>
internal sealed class LimpsHandlesHealthCheck(IEnumerable<HandleKindRegistration> kinds, IServiceProvider services) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>();
        var full = new List<string>();
        foreach (HandleKindRegistration kind in kinds)
        {
            HandleKindView view = kind.Resolve(services);
            int live = await view.CountAsync(cancellationToken).ConfigureAwait(false);
            data[$"{view.Options.Name}.live"] = live;
            data[$"{view.Options.Name}.max"] = view.Options.MaxHandles;
            if (live >= view.Options.MaxHandles)
            {
                full.Add(view.Options.Name);
            }
        }

        return full.Count == 0
            ? HealthCheckResult.Healthy($"{data.Count / 2} handle kinds below capacity.", data)
            : new HealthCheckResult(context.Registration.FailureStatus,
                $"Handle capacity reached for: {string.Join(", ", full)}; new handles of those kinds are refused.", data: data);
    }
}
