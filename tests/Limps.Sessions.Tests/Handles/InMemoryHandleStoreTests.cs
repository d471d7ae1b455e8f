using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using NodaTime;
using NodaTime.Testing;

namespace Limps.Sessions.Tests.Handles;

/// <summary>
/// What the in-memory store gets from the session core (metrics, masked logs, observers) and what it must not keep:
/// state of ended handles, handles in the ledger, allocations on a use.
/// </summary>
public class InMemoryHandleStoreTests
{
    private const string Alice = "user:alice";

    private static HandleKindOptions Baskets() => new() { Name = "basket", Prefix = "bsk_", CreateToolName = "create_basket" };

    [Test]
    public async Task The_sessions_instruments_count_handles_under_the_kind_tag()
    {
        using var factory = new ScopedMeterFactory();
        using var metrics = new MetricsCollector(factory);
        var tags = new List<KeyValuePair<string, object?>>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    lock (tags)
                    {
                        tags.AddRange(instrument.Meter.Tags ?? []);
                    }
                }
            },
        };
        listener.Start();
        var clock = new FakeClock(TestTime.Start);
        using var store = new InMemoryHandleStore<string>(Baskets(), clock, meterFactory: factory);

        string a = await store.CreateAsync("a", Alice);
        await store.CreateAsync("b", Alice);
        await store.DestroyAsync(a, Alice);
        await FluentActions.Awaiting(async () => await store.UseAsync(a, Alice)).Should().ThrowAsync<HandleUnavailableException>();

        metrics.Sum("limps.sessions.started").Should().Be(2);
        metrics.Sum("limps.sessions.ended", "deleted").Should().Be(1);
        metrics.Sum("limps.sessions.active").Should().Be(1);
        tags.Should().Contain(new KeyValuePair<string, object?>("limps.handle.kind", "basket"));
    }

    [Test]
    public async Task Log_lines_never_carry_a_full_handle_and_a_foreign_use_is_warned_about()
    {
        var collector = new FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(collector)));
        var clock = new FakeClock(TestTime.Start);
        HandleKindOptions options = Baskets();
        options.MaxHandlesPerOwner = 2;
        using var store = new InMemoryHandleStore<string>(options, clock, loggerFactory: loggerFactory);
        string[] handles = [await store.CreateAsync("a", Alice), await store.CreateAsync("b", Alice), await store.CreateAsync("c")];

        await FluentActions.Awaiting(async () => await store.UseAsync(handles[0], "user:mallory")).Should().ThrowAsync<HandleUnavailableException>();
        await FluentActions.Awaiting(async () => await store.CreateAsync("d", Alice)).Should().ThrowAsync<HandleCapacityExceededException>();
        await store.DestroyAsync(handles[1], Alice);
        clock.Advance(Duration.FromDays(2));
        await store.SweepAsync();

        IReadOnlyList<FakeLogRecord> records = collector.GetSnapshot();
        string masked = handles[0][..8] + "...";
        records.Should().Contain(r => r.Id.Name == "HandleOwnerMismatch" && r.Level == LogLevel.Warning
            && r.Message.Contains(masked, StringComparison.Ordinal));
        records.Should().Contain(r => r.Id.Name == "HandleCapacityReached");
        records.Should().Contain(r => r.Id.Name == "SessionEnded");
        foreach (FakeLogRecord record in records)
        {
            foreach (string handle in handles)
            {
                record.Message.Should().NotContain(handle);
                (record.StructuredState ?? []).Should().NotContain(pair => (pair.Value ?? string.Empty).Contains(handle, StringComparison.Ordinal));
            }
        }
    }

    [Test]
    public async Task Observers_see_each_handle_start_and_end_once_with_its_owner()
    {
        var observer = new RecordingObserver();
        var clock = new FakeClock(TestTime.Start);
        using var store = new InMemoryHandleStore<string>(Baskets(), clock, [observer]);

        string handle = await store.CreateAsync("a", Alice);
        await store.EndAsync(handle, new RevokedReason());

        observer.Started.Should().ContainSingle().Which.Owner.Should().Be(Alice);
        observer.Started.Single().Id.ToString().Should().Be(handle);
        observer.Ended.Should().ContainSingle().Which.Reason.Code.Should().Be("revoked");
    }

    [Test]
    public async Task An_ended_handles_state_is_dropped_and_the_ledger_keeps_no_handle()
    {
        var clock = new FakeClock(TestTime.Start);
        HandleKindOptions options = Baskets();
        options.LedgerRetention = TimeSpan.FromDays(3);
        using var store = new InMemoryHandleStore<byte[]>(options, clock);
        var handles = new List<string>();
        for (int i = 0; i < 50; i++)
        {
            handles.Add(await store.CreateAsync(new byte[1024], i % 2 == 0 ? Alice : null));
        }

        for (int i = 0; i < 25; i++)
        {
            await store.DestroyAsync(handles[i], i % 2 == 0 ? Alice : null);
        }

        clock.Advance(Duration.FromDays(1));
        await store.SweepAsync();

        store.SlotCount.Should().Be(0);
        (await store.ListAsync(Alice)).Should().BeEmpty();
        (await store.Ledger.CountAsync()).Should().Be(50);
        SessionId.TryParse(handles[0], out SessionId id).Should().BeTrue();
        (await store.Ledger.FindAsync(id))!.Owner.Should().Be(Alice, "a tombstone keeps its owner, whom the store compares with the caller");
        store.Ledger.TryKeyOf(id, out SessionId key).Should().BeTrue();
        key.ToString().Should().Be(handles[0][4..], "filed under the 128-bit random part, which the ledger stores compactly");
    }

    [Test]
    public async Task Using_a_live_handle_allocates_nothing()
    {
        var clock = new FakeClock(TestTime.Start);
        using var store = new InMemoryHandleStore<string>(Baskets(), clock);
        string owned = await store.CreateAsync("a", Alice);
        string anonymous = await store.CreateAsync("b");
        for (int i = 0; i < 100; i++)
        {
            await store.UseAsync(owned, Alice);
            await store.UseAsync(anonymous);
        }

        // Methods start as quickly compiled code that may allocate where the optimised code does not; the runtime
        // swaps in the optimised code after a short while in the background. Measure rounds until one is steady.
        long fewest = long.MaxValue;
        int synchronous = 0;
        for (int round = 0; round < 2_000 && fewest > 0; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1_000; i++)
            {
                ValueTask<string> a = store.UseAsync(owned, Alice);
                ValueTask<string> b = store.UseAsync(anonymous);
                synchronous += a.IsCompletedSuccessfully && b.IsCompletedSuccessfully && a.Result == "a" && b.Result == "b" ? 1 : 0;
            }

            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        synchronous.Should().BeGreaterThan(0);
        fewest.Should().Be(0, "a use is dictionary hits and a registry touch");
    }

    [Test]
    public void A_store_refuses_bad_options_before_building_anything() =>
        FluentActions.Invoking(() => new InMemoryHandleStore<string>(new HandleKindOptions()))
            .Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>()
            .Which.Message.Should().Contain("Limps:Handles:<kind>:Name");
}
