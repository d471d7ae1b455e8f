using System.Diagnostics.Metrics;

namespace Limps.Sessions.Tests;

/// <summary>The Limps.Sessions meter: active, started, ended by reason, expired lookups by reason.</summary>
public class MetricsTests
{
    private static readonly string[] ReasonCodes = ["timeout", "closed", "deleted", "evicted", "lifetime", "revoked"];

    [Test]
    public async Task A_scripted_scenario_is_counted_exactly()
    {
        using var factory = new ScopedMeterFactory();
        using var metrics = new MetricsCollector(factory);
        using var h = new RegistryHarness(meterFactory: factory);

        SessionInfo a = await h.Registry.CreateAsync();
        SessionInfo b = await h.Registry.CreateAsync();
        SessionInfo c = await h.Registry.CreateAsync();
        SessionInfo d = await h.Registry.CreateAsync();
        SessionInfo e = await h.Registry.CreateAsync();
        await h.Registry.EndAsync(a.Id, ExpiryReason.Deleted);
        await h.Registry.EndAsync(a.Id, ExpiryReason.Closed);
        await h.Registry.EndAsync(b.Id, new RevokedReason());
        h.Advance(TestTime.Minutes(10));
        await h.Registry.TouchAsync(c.Id);
        await h.Registry.TouchAsync(d.Id);

        metrics.Sum("limps.sessions.started").Should().Be(5);
        metrics.Sum("limps.sessions.active").Should().Be(3);

        h.AdvanceTo(TestTime.Start + h.Idle);
        (await h.Registry.SweepAsync()).Should().Be(1);
        await h.Registry.LookupAsync(a.Id);
        await h.Registry.TouchAsync(a.Id);
        await h.Registry.LookupAsync(e.Id);
        await using (await h.Registry.BeginLeaseAsync(e.Id))
        {
        }

        await h.Registry.LookupAsync(SessionId.New());
        await h.Registry.LookupAsync(c.Id);

        metrics.Sum("limps.sessions.started").Should().Be(5);
        metrics.Sum("limps.sessions.ended").Should().Be(3);
        metrics.Sum("limps.sessions.ended", "deleted").Should().Be(1);
        metrics.Sum("limps.sessions.ended", "revoked").Should().Be(1);
        metrics.Sum("limps.sessions.ended", "timeout").Should().Be(1);
        metrics.Sum("limps.sessions.active").Should().Be(2);
        metrics.Sum("limps.sessions.expired_lookups").Should().Be(4);
        metrics.Sum("limps.sessions.expired_lookups", "deleted").Should().Be(2);
        metrics.Sum("limps.sessions.expired_lookups", "timeout").Should().Be(2);

        (await h.Registry.EndAllAsync(ExpiryReason.Closed)).Should().Be(2);

        metrics.Sum("limps.sessions.ended").Should().Be(5);
        metrics.Sum("limps.sessions.ended", "closed").Should().Be(2);
        metrics.Sum("limps.sessions.active").Should().Be(0);
        metrics.Measurements.Where(m => m.Instrument == "limps.sessions.active").Select(m => m.Value)
            .Should().OnlyContain(v => v == 1 || v == -1);
    }

    [Test]
    public async Task An_overdue_session_found_by_a_lookup_counts_as_ended_and_as_an_expired_lookup()
    {
        using var factory = new ScopedMeterFactory();
        using var metrics = new MetricsCollector(factory);
        using var h = new RegistryHarness(meterFactory: factory);
        SessionInfo info = await h.Registry.CreateAsync();
        h.Advance(h.Idle);

        await h.Registry.TouchAsync(info.Id);

        metrics.Sum("limps.sessions.ended", "timeout").Should().Be(1);
        metrics.Sum("limps.sessions.expired_lookups", "timeout").Should().Be(1);
        metrics.Sum("limps.sessions.active").Should().Be(0);
    }

    [Test]
    public async Task Tags_carry_reason_codes_only_never_ids()
    {
        using var factory = new ScopedMeterFactory();
        using var metrics = new MetricsCollector(factory);
        using var h = new RegistryHarness(meterFactory: factory);
        var ids = new List<SessionId>();
        for (int i = 0; i < 20; i++)
        {
            ids.Add((await h.Registry.CreateAsync()).Id);
        }

        for (int i = 0; i < 10; i++)
        {
            await h.Registry.EndAsync(ids[i], i % 2 == 0 ? ExpiryReason.Deleted : new RevokedReason());
            await h.Registry.LookupAsync(ids[i]);
        }

        h.Advance(h.Idle);
        await h.Registry.SweepAsync();
        foreach (SessionId id in ids)
        {
            await h.Registry.LookupAsync(id);
        }

        metrics.Measurements.Should().NotBeEmpty();
        foreach (Measurement measurement in metrics.Measurements)
        {
            foreach (KeyValuePair<string, object?> tag in measurement.Tags)
            {
                tag.Key.Should().Be("reason");
                tag.Value.Should().BeOfType<string>().Which.Should().BeOneOf(ReasonCodes);
                foreach (SessionId id in ids)
                {
                    ((string)tag.Value!).Should().NotContain(id.ToString());
                }
            }
        }

        metrics.Measurements.Where(m => m.Instrument is "limps.sessions.ended" or "limps.sessions.expired_lookups")
            .Should().OnlyContain(m => m.Tags.Count == 1);
        metrics.Measurements.Where(m => m.Instrument is "limps.sessions.started" or "limps.sessions.active")
            .Should().OnlyContain(m => m.Tags.Count == 0);
    }

    [Test]
    public async Task The_meter_is_named_Limps_Sessions_and_is_created_by_the_given_factory()
    {
        using var factory = new ScopedMeterFactory();
        var published = new List<Instrument>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    lock (published)
                    {
                        published.Add(instrument);
                    }
                }
            },
        };
        listener.Start();

        using var h = new RegistryHarness(meterFactory: factory);
        await h.Registry.CreateAsync();

        published.Select(i => i.Meter.Name).Should().OnlyContain(name => name == "Limps.Sessions");
        published.Select(i => i.Name).Should().BeEquivalentTo(
            "limps.sessions.active", "limps.sessions.started", "limps.sessions.ended", "limps.sessions.expired_lookups");
        published.Single(i => i.Name == "limps.sessions.active").Should().BeOfType<UpDownCounter<long>>();
        published.Single(i => i.Name == "limps.sessions.ended").Should().BeOfType<Counter<long>>();
    }

    [Test]
    public async Task Registries_with_other_meters_do_not_leak_into_the_scoped_measurements()
    {
        using var factory = new ScopedMeterFactory();
        using var metrics = new MetricsCollector(factory);
        using var h = new RegistryHarness(meterFactory: factory);
        using var standalone = new RegistryHarness();
        using var otherFactory = new ScopedMeterFactory();
        using var other = new RegistryHarness(meterFactory: otherFactory);

        await h.Registry.CreateAsync();
        for (int i = 0; i < 5; i++)
        {
            await standalone.Registry.CreateAsync();
            await other.Registry.CreateAsync();
        }

        metrics.Sum("limps.sessions.started").Should().Be(1);
    }
}
