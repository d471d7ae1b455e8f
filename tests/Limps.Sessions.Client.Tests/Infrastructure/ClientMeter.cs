using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Limps.Sessions.Client.Tests.Infrastructure;

/// <summary>A meter factory of its own (so parallel handlers do not see each other's counts) and collectors on it.</summary>
public sealed class ClientMeter : IDisposable
{
    private readonly ServiceProvider _services;
    private readonly MetricCollector<long> _lost;
    private readonly MetricCollector<long> _reinitializations;
    private readonly MetricCollector<long> _retries;

    public ClientMeter()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        Factory = _services.GetRequiredService<IMeterFactory>();
        _lost = new MetricCollector<long>(Factory, SessionRecoveryHandler.MeterName, "limps.sessions.client.sessions_lost");
        _reinitializations = new MetricCollector<long>(Factory, SessionRecoveryHandler.MeterName, "limps.sessions.client.reinitializations");
        _retries = new MetricCollector<long>(Factory, SessionRecoveryHandler.MeterName, "limps.sessions.client.retries");
    }

    public IMeterFactory Factory { get; }

    public long Lost(string? reason = null) => Sum(_lost, "reason", reason);

    public long Reinitializations(string? outcome = null) => Sum(_reinitializations, "outcome", outcome);

    public long ReinitializationsFor(string reason) => Sum(_reinitializations, "reason", reason);

    public long Retries(string? outcome = null) => Sum(_retries, "outcome", outcome);

    public void Dispose()
    {
        _lost.Dispose();
        _reinitializations.Dispose();
        _retries.Dispose();
        _services.Dispose();
    }

    private static long Sum(MetricCollector<long> collector, string tag, string? value) =>
        collector.GetMeasurementSnapshot()
            .Where(m => value is null || Equals(m.Tags.GetValueOrDefault(tag), value))
            .Sum(m => m.Value);
}
