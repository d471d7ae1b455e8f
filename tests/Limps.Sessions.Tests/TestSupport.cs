using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using NodaTime;
using NodaTime.Testing;

namespace Limps.Sessions.Tests;

/// <summary>
/// A registry on a fake clock with an in-memory ledger and a recording observer. Idle timeout 30 minutes unless
/// configured otherwise.
/// </summary>
internal sealed class RegistryHarness : IDisposable
{
    public RegistryHarness(
        Action<LimpsSessionsOptions>? configure = null,
        ILogger<InMemorySessionRegistry>? logger = null,
        IMeterFactory? meterFactory = null,
        params ISessionLifecycleObserver[] extraObservers)
    {
        Options = new LimpsSessionsOptions();
        configure?.Invoke(Options);
        Clock = new FakeClock(TestTime.Start);
        Ledger = new InMemoryExpiryLedger(Options, Clock);
        Observer = new RecordingObserver();
        Registry = new InMemorySessionRegistry(
            Options, Clock, Ledger, [.. extraObservers, Observer], logger, meterFactory);
    }

    public LimpsSessionsOptions Options { get; }

    public FakeClock Clock { get; }

    public InMemoryExpiryLedger Ledger { get; }

    public RecordingObserver Observer { get; }

    public InMemorySessionRegistry Registry { get; }

    public Duration Idle => Duration.FromTimeSpan(Options.IdleTimeout);

    public Instant Now => Clock.GetCurrentInstant();

    public void Advance(Duration duration) => Clock.Advance(duration);

    /// <summary>Moves the clock to an instant given relative to <see cref="TestTime.Start"/>.</summary>
    public void AdvanceTo(Instant instant)
    {
        Instant now = Clock.GetCurrentInstant();
        if (instant < now)
        {
            throw new InvalidOperationException("The test clock only moves forward.");
        }

        Clock.Advance(instant - now);
    }

    public void Dispose() => Registry.Dispose();
}

/// <summary>An observer that throws from both notifications.</summary>
internal sealed class ThrowingObserver : ISessionLifecycleObserver
{
    public int StartedCalls;
    public int EndedCalls;

    public void OnSessionStarted(SessionInfo session)
    {
        Interlocked.Increment(ref StartedCalls);
        throw new InvalidOperationException("observer failed on start");
    }

    public void OnSessionEnded(ExpiredSession session)
    {
        Interlocked.Increment(ref EndedCalls);
        throw new InvalidOperationException("observer failed on end");
    }
}

/// <summary>
/// An <see cref="IMeterFactory"/> whose meters carry the factory itself as their scope, so a listener can pick out
/// exactly the instruments of the registry under test even when other registries exist in the process.
/// </summary>
internal sealed class ScopedMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Scope = this;
        var meter = new Meter(options);
        lock (_meters)
        {
            _meters.Add(meter);
        }

        return meter;
    }

    public void Dispose()
    {
        lock (_meters)
        {
            foreach (Meter meter in _meters)
            {
                meter.Dispose();
            }

            _meters.Clear();
        }
    }
}

/// <summary>One long measurement as recorded by <see cref="MetricsCollector"/>.</summary>
internal sealed record Measurement(string Instrument, long Value, IReadOnlyList<KeyValuePair<string, object?>> Tags)
{
    public string? Reason => Tags.FirstOrDefault(t => t.Key == "reason").Value as string;
}

/// <summary>Listens to the long instruments of meters created by one <see cref="ScopedMeterFactory"/>.</summary>
internal sealed class MetricsCollector : IDisposable
{
    private readonly MeterListener _listener = new();

    public MetricsCollector(ScopedMeterFactory scope)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, scope))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            Measurements.Enqueue(new Measurement(instrument.Name, value, tags.ToArray())));
        _listener.Start();
    }

    public ConcurrentQueue<Measurement> Measurements { get; } = new();

    public long Sum(string instrument) => Measurements.Where(m => m.Instrument == instrument).Sum(m => m.Value);

    public long Sum(string instrument, string reason) =>
        Measurements.Where(m => m.Instrument == instrument && m.Reason == reason).Sum(m => m.Value);

    public void Dispose() => _listener.Dispose();
}
