using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Limps.Sessions.AspNetCore.Tests.Infrastructure;

/// <summary>Reads the Limps health check through the host's own health check service and its /health endpoint.</summary>
public sealed class HealthReportProbe(TestHost host)
{
    public async Task<string> StatusAsync() => (await BodyAsync()).GetProperty("status").GetString()!;

    /// <summary>The JSON body the sample host's health endpoint writes (LimpsHealthResponseWriter).</summary>
    public async Task<JsonElement> BodyAsync()
    {
        using HttpResponseMessage response = await host.Client.GetAsync(new Uri("/health", UriKind.Relative));
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    public async Task<HealthReportEntry> CheckAsync()
    {
        HealthReport report = await host.App.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        return report.Entries["limps-sessions"];
    }
}
