using Microsoft.Extensions.Time.Testing;
using NodaTime;
using NodaTime.Testing;

namespace Limps.Sessions.Tests;

/// <summary>
/// The in-memory registry's cheap paths: a registry on a <see cref="CoarseClock"/> reads the clock's sampled ticks,
/// a touch decides most sessions with a quick window check, and an entry keeps its extras and, once ended, its
/// tombstone in one field. Each test holds one of those to the answers of the exact rules.
/// </summary>
public class InMemorySessionRegistryHotPathTests
{
    private static readonly Duration Idle = TestTime.Minutes(30);

    [Test]
    public async Task On_a_coarse_clock_activity_and_expiry_follow_the_sampled_time_not_the_source()
    {
        var source = new FakeClock(TestTime.Start);
        var timers = new FakeTimeProvider();
        using var clock = new CoarseClock(source, TimeSpan.FromMilliseconds(10), timers);
        var options = new LimpsSessionsOptions { IdleTimeout = Idle.ToTimeSpan() };
        using var registry = new InMemorySessionRegistry(options, clock);
        SessionId id = (await registry.CreateAsync()).Id;

        // The source moves on, but until the next refresh the registry still sees the start.
        source.Advance(TestTime.Minutes(10));
        (await registry.TouchAsync(id)).Session.LastActiveAt.Should().Be(TestTime.Start);

        timers.Advance(TimeSpan.FromMilliseconds(10));
        Instant sampled = TestTime.Start + TestTime.Minutes(10);
        (await registry.TouchAsync(id)).Session.LastActiveAt.Should().Be(sampled);

        // One tick before the idle deadline of the sampled activity the session is live; at the deadline it is not.
        source.Advance(Idle - TestTime.OneTick);
        timers.Advance(TimeSpan.FromMilliseconds(10));
        (await registry.LookupAsync(id)).IsActive.Should().BeTrue();

        source.Advance(TestTime.OneTick);
        timers.Advance(TimeSpan.FromMilliseconds(10));
        SessionLookup after = await registry.LookupAsync(id);
        after.Expiry.Reason.Should().Be(ExpiryReason.Timeout);
        after.Expiry.ExpiredAt.Should().Be(sampled + Idle);
    }

    [Test]
    public async Task On_a_coarse_clock_whose_source_steps_back_recorded_activity_never_moves_back()
    {
        var source = new FakeClock(TestTime.Start + TestTime.Minutes(5));
        var timers = new FakeTimeProvider();
        using var clock = new CoarseClock(source, TimeSpan.FromMilliseconds(10), timers);
        using var registry = new InMemorySessionRegistry(new LimpsSessionsOptions(), clock);
        SessionId id = (await registry.CreateAsync()).Id;

        source.Reset(TestTime.Start);
        timers.Advance(TimeSpan.FromMilliseconds(10));

        (await registry.TouchAsync(id)).Session.LastActiveAt.Should().Be(TestTime.Start + TestTime.Minutes(5));
        clock.GetCurrentInstant().Should().Be(TestTime.Start + TestTime.Minutes(5));
    }

    // idle and lifetime in minutes (0: off); an earlier touch; a probe at a minute plus a tick offset; the answer.
    [TestCase(30, 0, 0, 30, -1, "live")]
    [TestCase(30, 0, 0, 30, 0, "timeout")]
    [TestCase(30, 0, 25, 55, -1, "live")]
    [TestCase(30, 0, 25, 55, 0, "timeout")]
    [TestCase(30, 40, 25, 40, -1, "live")]
    [TestCase(30, 40, 25, 40, 0, "lifetime")]
    [TestCase(0, 20, 10, 20, -1, "live")]
    [TestCase(0, 20, 10, 20, 0, "lifetime")]
    [TestCase(0, 0, 10, 100_000, 0, "live")]
    public async Task A_touch_one_tick_before_and_at_the_nearer_deadline_gets_the_exact_answer(
        int idleMinutes, int lifetimeMinutes, int touchedAtMinutes, int probeAtMinutes, int probeOffsetTicks, string expected)
    {
        using var h = new RegistryHarness(o =>
        {
            o.IdleTimeout = TimeSpan.FromMinutes(idleMinutes);
            o.MaxLifetime = TimeSpan.FromMinutes(lifetimeMinutes);
        });
        SessionId id = (await h.Registry.CreateAsync()).Id;
        h.AdvanceTo(TestTime.Start + TestTime.Minutes(touchedAtMinutes));
        (await h.Registry.TouchAsync(id)).IsActive.Should().BeTrue();
        h.AdvanceTo(TestTime.Start + TestTime.Minutes(probeAtMinutes) + Duration.FromTicks(probeOffsetTicks));

        SessionLookup probed = await h.Registry.TouchAsync(id);

        if (expected == "live")
        {
            // Activity is kept to the microsecond, rounded up.
            probed.Session.LastActiveAt.Should().BeInRange(h.Now, h.Now + Duration.FromTicks(9));
        }
        else
        {
            probed.Expiry.Reason.Code.Should().Be(expected);
            probed.Expiry.ExpiredAt.Should().Be(TestTime.Start + TestTime.Minutes(probeAtMinutes));
        }
    }

    [Test]
    public async Task An_ended_session_whose_tombstone_is_still_on_its_way_to_the_ledger_answers_with_its_owner()
    {
        // While the ledger write is pending the ended entry is still in the registry, holding its tombstone where its
        // owner and metadata were: every answer in that window must still know whose session it was.
        var clock = new FakeClock(TestTime.Start);
        var options = new LimpsSessionsOptions();
        var ledger = new GatedLedger(new InMemoryExpiryLedger(options, clock));
        using var registry = new InMemorySessionRegistry(options, clock, ledger);
        var metadata = new Dictionary<string, string> { ["tenant"] = "blue" };
        SessionId id = (await registry.CreateAsync(owner: "alice", metadata: metadata)).Id;
        ledger.Shut();

        ValueTask<bool> ending = registry.EndAsync(id, ExpiryReason.Deleted);
        ending.IsCompleted.Should().BeFalse("the ledger write is held");
        ledger.Pending.Should().Be(1);

        await using (SessionLease own = await registry.BeginLeaseForOwnerAsync(id, "alice"))
        {
            own.IsOwnerMismatch.Should().BeFalse();
            own.IsHeld.Should().BeFalse();
            own.Lookup.Expiry.Owner.Should().Be("alice");
        }

        await using (SessionLease foreign = await registry.BeginLeaseForOwnerAsync(id, "mallory"))
        {
            foreign.IsOwnerMismatch.Should().BeTrue();
            foreign.Lookup.IsNotFound.Should().BeTrue();
        }

        (await registry.TouchAsync(id)).Expiry.Owner.Should().Be("alice");
        (await registry.LookupAsync(id)).Expiry.Reason.Should().Be(ExpiryReason.Deleted);

        ledger.Open();
        (await ending).Should().BeTrue();
        (await registry.LookupAsync(id)).Expiry.Owner.Should().Be("alice");
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task While_sessions_end_under_concurrent_touches_and_leases_every_answer_keeps_the_owner_and_metadata()
    {
        const int Sessions = 2_000;
        using var h = new RegistryHarness(o => o.MaxSessions = Sessions);
        var metadata = new Dictionary<string, string> { ["tenant"] = "blue" };
        var ids = new SessionId[Sessions];
        for (int i = 0; i < Sessions; i++)
        {
            ids[i] = (await h.Registry.CreateAsync(owner: $"user-{i}", metadata: metadata)).Id;
        }

        using var start = new Barrier(4);
        var wrong = new System.Collections.Concurrent.ConcurrentQueue<string>();

        Task Reader(bool lease) => Task.Factory.StartNew(
            async () =>
            {
                start.SignalAndWait();
                for (int round = 0; round < 3; round++)
                {
                    for (int i = 0; i < Sessions; i++)
                    {
                        string owner = $"user-{i}";
                        SessionLookup seen;
                        if (lease)
                        {
                            await using SessionLease held = await h.Registry.BeginLeaseForOwnerAsync(ids[i], owner);
                            seen = held.Lookup;
                            if (held.IsOwnerMismatch)
                            {
                                wrong.Enqueue($"{i}: the owner read as another's");
                            }
                        }
                        else
                        {
                            seen = await h.Registry.TouchAsync(ids[i]);
                        }

                        if (seen.TryGetSession(out SessionInfo live)
                            && (live.Owner != owner || !live.Metadata.TryGetValue("tenant", out string? tenant) || tenant != "blue"))
                        {
                            wrong.Enqueue($"{i}: live answer with owner '{live.Owner}'");
                        }

                        if (seen.TryGetExpiry(out ExpiredSession? ended) && ended.Owner != owner)
                        {
                            wrong.Enqueue($"{i}: ended answer with owner '{ended.Owner}'");
                        }
                    }
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap();

        Task Ender(int first) => Task.Factory.StartNew(
            async () =>
            {
                start.SignalAndWait();
                for (int i = first; i < Sessions; i += 2)
                {
                    await h.Registry.EndAsync(ids[i], ExpiryReason.Deleted);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap();

        await Task.WhenAll(Reader(lease: false), Reader(lease: true), Ender(0), Ender(1));

        wrong.Should().BeEmpty();
        h.Registry.Count.Should().Be(0);
        for (int i = 0; i < Sessions; i++)
        {
            SessionLookup final = await h.Registry.LookupAsync(ids[i]);
            final.Expiry.Owner.Should().Be($"user-{i}");
            final.Expiry.Reason.Should().Be(ExpiryReason.Deleted);
        }
    }
}
