using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Limps.Sessions.AspNetCore.Tests.Infrastructure;

/// <summary>Reads the Limps health check through the host's own health check service and its /health endpoint.</summary>
public sealed class HealthReportProbe(TestHost host)
{
    public async Task<string> StatusAsync()
    {
        using HttpResponseMessage response = await host.Client.GetAsync(new Uri("/health", UriKind.Relative));
        return await response.Content.ReadAsStringAsync();
    }

    public async Task<HealthReportEntry> CheckAsync()
    {
        HealthReport report = await host.App.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        return report.Entries["limps-sessions"];
    }
}
