using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using NodaTime;

namespace Limps.Sessions.Tests;

/// <summary>
/// <see cref="SessionTelemetry"/> used as the author of a third-party store would: constructed directly, fed the
/// store's changes, and checked through the meter, the log and the observers.
/// </summary>
public class SessionTelemetryTests
{
    private static readonly Instant Start = Instant.FromUtc(2026, 2, 11, 10, 30, 0) + Duration.FromTicks(1234567);

    [Test]
    public void A_store_reports_its_changes_through_one_meter_one_set_of_events_and_every_observer()
    {
        using var factory = new ScopedMeterFactory();
        using var metrics = new MetricsCollector(factory);
        var logger = new FakeLogger<SessionTelemetryTests>();
        var seen = new List<string>();
        using var telemetry = new SessionTelemetry(
            logger,
            factory,
            [new RecordingObserver("first", seen), new ThrowingObserver(), new RecordingObserver("last", seen)]);

        var session = new SessionInfo(SessionId.New(), Start, Start, owner: "someone");
        var tombstone = new ExpiredSession(session.Id, ExpiryReason.Deleted, Start, Start);
        telemetry.SessionStarted(session);
        telemetry.ExpiredLookup(ExpiryReason.Deleted);
        telemetry.CapacityReached(7);
        telemetry.SessionEnded(tombstone);
        telemetry.SessionEndedElsewhere(tombstone);
        telemetry.SweepCompleted(3, 4);

        metrics.Sum("limps.sessions.started").Should().Be(1);
        metrics.Sum("limps.sessions.ended", "deleted").Should().Be(1, "an end another process made is counted there");
        metrics.Sum("limps.sessions.active").Should().Be(0);
        metrics.Sum("limps.sessions.expired_lookups", "deleted").Should().Be(1);

        seen.Should().Equal("first started", "last started", "first ended", "last ended", "first ended", "last ended");

        IReadOnlyList<FakeLogRecord> records = logger.Collector.GetSnapshot();
        records.Select(r => (r.Id.Id, r.Id.Name)).Distinct().Should().BeEquivalentTo(new[]
        {
            (1, "SessionStarted"), (2, "SessionEnded"), (3, "SessionCapacityReached"), (4, "SweepCompleted"), (5, "ObserverFailed"),
        });
        records.Count(r => r.Id.Name == "ObserverFailed" && r.Level == LogLevel.Error).Should().Be(3);
        records.Single(r => r.Id.Name == "SessionEnded").Message.Should().Contain("2026-02-11T10:30:00.123Z");
        records.Should().NotContain(r => r.Message.Contains(session.Id.ToString(), StringComparison.Ordinal));
    }

    [Test]
    public void A_throwing_log_provider_never_reaches_the_store()
    {
        var throwing = new ThrowingLogger<SessionTelemetryTests>();
        var seen = new List<string>();
        using var telemetry = new SessionTelemetry(throwing, meterFactory: null, [new ThrowingObserver(), new RecordingObserver("o", seen)]);
        var session = new SessionInfo(SessionId.New(), Start, Start);

        telemetry.Invoking(t => t.SessionStarted(session)).Should().NotThrow();
        telemetry.Invoking(t => t.SessionEnded(new ExpiredSession(session.Id, ExpiryReason.Timeout, Start, Start))).Should().NotThrow();
        telemetry.Invoking(t => t.SweepCompleted(1, 1)).Should().NotThrow();
        telemetry.Logger.Invoking(l => l.LogWarning("direct")).Should().NotThrow();
        SessionTelemetry.NonThrowing(telemetry.Logger).Should().BeSameAs(telemetry.Logger, "guarding twice adds nothing");

        throwing.Calls.Should().BeGreaterThan(0);
        seen.Should().Equal("o started", "o ended");
    }

    [Test]
    public void Instants_are_formatted_as_ISO_8601_UTC_with_milliseconds() =>
        SessionTelemetry.FormatInstant(Start).Should().Be("2026-02-11T10:30:00.123Z");

    private sealed class RecordingObserver(string name, List<string> seen) : ISessionLifecycleObserver
    {
        public void OnSessionStarted(SessionInfo session) => seen.Add($"{name} started");

        public void OnSessionEnded(ExpiredSession session) => seen.Add($"{name} ended");
    }

    private sealed class ThrowingObserver : ISessionLifecycleObserver
    {
        public void OnSessionStarted(SessionInfo session) => throw new InvalidOperationException("observer");

        public void OnSessionEnded(ExpiredSession session) => throw new InvalidOperationException("observer");
    }
}
