using NodaTime;

namespace Limps.Sessions.Tests;

/// <summary>How a test asks the registry about a session.</summary>
public enum Probe
{
    Lookup,
    Touch,
    Lease,
}

/// <summary>Create, lookup, touch, idle-timeout boundaries, maximum lifetime, count and end-all.</summary>
public class InMemorySessionRegistryLifecycleTests
{
    internal static async Task<SessionLookup> AskAsync(InMemorySessionRegistry registry, SessionId id, Probe probe)
    {
        switch (probe)
        {
            case Probe.Lookup:
                return await registry.LookupAsync(id);
            case Probe.Touch:
                return await registry.TouchAsync(id);
            default:
                await using (SessionLease lease = await registry.BeginLeaseAsync(id))
                {
                    lease.IsHeld.Should().Be(lease.Lookup.IsActive);
                    return lease.Lookup;
                }
        }
    }

    [Test]
    public async Task Create_with_a_new_id()
    {
        using var h = new RegistryHarness();

        SessionInfo info = await h.Registry.CreateAsync();

        info.Id.IsEmpty.Should().BeFalse();
        info.Id.Length.Should().Be(22);
        info.CreatedAt.Should().Be(TestTime.Start);
        info.LastActiveAt.Should().Be(TestTime.Start);
        info.Owner.Should().BeNull();
        info.Metadata.Should().BeEmpty();

        SessionLookup lookup = await h.Registry.LookupAsync(info.Id);
        lookup.IsActive.Should().BeTrue();
        lookup.Session.Id.Should().Be(info.Id);
        lookup.Session.CreatedAt.Should().Be(TestTime.Start);
    }

    [Test]
    public async Task Create_gives_distinct_new_ids()
    {
        using var h = new RegistryHarness();
        var ids = new HashSet<SessionId>();
        for (int i = 0; i < 100; i++)
        {
            ids.Add((await h.Registry.CreateAsync()).Id).Should().BeTrue();
        }

        h.Registry.Count.Should().Be(100);
    }

    [Test]
    public async Task Create_with_a_given_id()
    {
        using var h = new RegistryHarness();
        SessionId id = SessionId.Parse("sdk-issued-id-1234567890");

        SessionInfo info = await h.Registry.CreateAsync(id);

        info.Id.Should().Be(id);
        (await h.Registry.LookupAsync(SessionId.Parse("sdk-issued-id-1234567890"))).Session.Id.Should().Be(id);
    }

    [Test]
    public async Task Create_with_a_live_id_throws_and_changes_nothing()
    {
        using var h = new RegistryHarness();
        SessionId id = SessionId.New();
        await h.Registry.CreateAsync(id, owner: "alice");
        h.Advance(TestTime.Minutes(1));

        InvalidOperationException error = (await FluentActions.Awaiting(async () => await h.Registry.CreateAsync(id, owner: "mallory"))
            .Should().ThrowAsync<InvalidOperationException>()).Which;

        error.Message.Should().NotContain(id.ToString());
        h.Registry.Count.Should().Be(1);
        (await h.Registry.CountAsync()).Should().Be(1);
        SessionLookup lookup = await h.Registry.LookupAsync(id);
        lookup.Session.Owner.Should().Be("alice");
        lookup.Session.CreatedAt.Should().Be(TestTime.Start);
        h.Observer.Started.Should().ContainSingle();
    }

    [Test]
    public async Task Create_with_the_id_of_an_ended_session_starts_a_new_one()
    {
        using var h = new RegistryHarness();
        SessionId id = SessionId.New();
        await h.Registry.CreateAsync(id);
        await h.Registry.EndAsync(id, ExpiryReason.Deleted);
        h.Advance(TestTime.Minutes(1));

        SessionInfo again = await h.Registry.CreateAsync(id);

        again.CreatedAt.Should().Be(TestTime.Start + TestTime.Minutes(1));
        (await h.Registry.LookupAsync(id)).IsActive.Should().BeTrue();
        h.Registry.Count.Should().Be(1);
    }

    [Test]
    public void Create_with_the_empty_id_throws() =>
        FluentActions.Awaiting(async () =>
            {
                using var h = new RegistryHarness();
                await h.Registry.CreateAsync(default(SessionId));
            })
            .Should().ThrowAsync<ArgumentException>();

    [Test]
    public async Task Owner_and_metadata_round_trip()
    {
        using var h = new RegistryHarness();
        var metadata = new Dictionary<string, string> { ["tenant"] = "acme", ["client"] = "inspector" };

        SessionInfo created = await h.Registry.CreateAsync(owner: "user-42", metadata: metadata);
        h.Advance(TestTime.Minutes(1));
        SessionLookup looked = await h.Registry.LookupAsync(created.Id);
        SessionLookup touched = await h.Registry.TouchAsync(created.Id);

        foreach (SessionInfo info in new[] { created, looked.Session, touched.Session })
        {
            info.Owner.Should().Be("user-42");
            info.Metadata.Should().BeEquivalentTo(metadata);
        }
    }

    [Test]
    public async Task Lookup_and_touch_of_unknown_or_empty_ids_say_NotFound()
    {
        using var h = new RegistryHarness();
        await h.Registry.CreateAsync();

        (await h.Registry.LookupAsync(SessionId.New())).IsNotFound.Should().BeTrue();
        (await h.Registry.TouchAsync(SessionId.New())).IsNotFound.Should().BeTrue();
        (await h.Registry.LookupAsync(default)).IsNotFound.Should().BeTrue();
        (await h.Registry.TouchAsync(default)).IsNotFound.Should().BeTrue();
        h.Ledger.Count.Should().Be(0);
        h.Registry.Count.Should().Be(1);
    }

    [TestCase(Probe.Lookup)]
    [TestCase(Probe.Touch)]
    [TestCase(Probe.Lease)]
    public async Task One_tick_before_the_idle_deadline_the_session_is_active(Probe probe)
    {
        using var h = new RegistryHarness();
        SessionInfo info = await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(5));
        await h.Registry.TouchAsync(info.Id);

        h.AdvanceTo(TestTime.Start + TestTime.Minutes(5) + h.Idle - TestTime.OneTick);
        SessionLookup answer = await AskAsync(h.Registry, info.Id, probe);

        answer.IsActive.Should().BeTrue();
        h.Registry.Count.Should().Be(1);
        h.Observer.Ended.Should().BeEmpty();
    }

    [TestCase(Probe.Lookup)]
    [TestCase(Probe.Touch)]
    [TestCase(Probe.Lease)]
    public async Task At_the_idle_deadline_the_session_is_expired_without_a_sweep(Probe probe)
    {
        using var h = new RegistryHarness();
        SessionInfo info = await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(5));
        await h.Registry.TouchAsync(info.Id);
        Instant lastActive = TestTime.Start + TestTime.Minutes(5);

        h.AdvanceTo(lastActive + h.Idle);
        SessionLookup answer = await AskAsync(h.Registry, info.Id, probe);

        answer.IsExpired.Should().BeTrue();
        answer.Expiry.Id.Should().Be(info.Id);
        answer.Expiry.Reason.Should().Be(ExpiryReason.Timeout);
        answer.Expiry.ExpiredAt.Should().Be(lastActive + h.Idle);
        answer.Expiry.LastActiveAt.Should().Be(lastActive);
        h.Registry.Count.Should().Be(0);
        h.Observer.Ended.Should().ContainSingle().Which.Should().Be(answer.Expiry);
        (await h.Ledger.FindAsync(info.Id)).Should().Be(answer.Expiry);
    }

    [TestCase(Probe.Lookup)]
    [TestCase(Probe.Touch)]
    [TestCase(Probe.Lease)]
    public async Task Long_after_the_deadline_ExpiredAt_is_still_the_deadline(Probe probe)
    {
        using var h = new RegistryHarness();
        SessionInfo info = await h.Registry.CreateAsync();

        h.Advance(Duration.FromHours(7));
        SessionLookup answer = await AskAsync(h.Registry, info.Id, probe);

        answer.Expiry.Reason.Should().Be(ExpiryReason.Timeout);
        answer.Expiry.ExpiredAt.Should().Be(TestTime.Start + h.Idle);
        answer.Expiry.LastActiveAt.Should().Be(TestTime.Start);
    }

    [Test]
    public async Task An_expired_session_keeps_answering_Expired_with_the_same_tombstone()
    {
        using var h = new RegistryHarness();
        SessionInfo info = await h.Registry.CreateAsync();
        h.Advance(h.Idle);
        ExpiredSession first = (await h.Registry.LookupAsync(info.Id)).Expiry;

        h.Advance(TestTime.Minutes(5));

        (await h.Registry.TouchAsync(info.Id)).Expiry.Should().Be(first);
        (await h.Registry.LookupAsync(info.Id)).Expiry.Should().Be(first);
        await using SessionLease lease = await h.Registry.BeginLeaseAsync(info.Id);
        lease.Lookup.Expiry.Should().Be(first);
        h.Observer.Ended.Should().ContainSingle();
    }

    [Test]
    public async Task Lookup_does_not_record_activity()
    {
        using var h = new RegistryHarness();
        SessionInfo info = await h.Registry.CreateAsync();

        h.Advance(TestTime.Minutes(20));
        SessionLookup lookup = await h.Registry.LookupAsync(info.Id);
        lookup.Session.LastActiveAt.Should().Be(TestTime.Start);

        h.Advance(TestTime.Minutes(10));
        SessionLookup expired = await h.Registry.LookupAsync(info.Id);
        expired.Expiry.ExpiredAt.Should().Be(TestTime.Start + h.Idle);
    }

    [Test]
    public async Task Touch_records_activity_and_moves_the_deadline()
    {
        using var h = new RegistryHarness();
        SessionInfo info = await h.Registry.CreateAsync();
        Instant touchedAt = TestTime.Start + TestTime.Minutes(20);

        h.AdvanceTo(touchedAt);
        SessionLookup touched = await h.Registry.TouchAsync(info.Id);
        touched.Session.LastActiveAt.Should().Be(touchedAt);
        touched.Session.CreatedAt.Should().Be(TestTime.Start);

        h.AdvanceTo(TestTime.Start + h.Idle);
        (await h.Registry.LookupAsync(info.Id)).Session.LastActiveAt.Should().Be(touchedAt);

        h.AdvanceTo(touchedAt + h.Idle - TestTime.OneTick);
        (await h.Registry.LookupAsync(info.Id)).IsActive.Should().BeTrue();

        h.AdvanceTo(touchedAt + h.Idle);
        ExpiredSession expired = (await h.Registry.LookupAsync(info.Id)).Expiry;
        expired.ExpiredAt.Should().Be(touchedAt + h.Idle);
        expired.LastActiveAt.Should().Be(touchedAt);
    }

    [Test]
    public async Task Touching_regularly_keeps_a_session_alive_for_days()
    {
        using var h = new RegistryHarness();
        SessionInfo info = await h.Registry.CreateAsync();

        for (int i = 0; i < 3 * 24 * 3; i++)
        {
            h.Advance(TestTime.Minutes(20));
            (await h.Registry.TouchAsync(info.Id)).IsActive.Should().BeTrue();
            (await h.Registry.SweepAsync()).Should().Be(0);
        }

        (await h.Registry.LookupAsync(info.Id)).Session.CreatedAt.Should().Be(TestTime.Start);
    }

    [Test]
    public async Task Activity_instants_between_microseconds_round_up_so_a_session_never_idles_out_early()
    {
        using var h = new RegistryHarness();
        SessionInfo info = await h.Registry.CreateAsync();
        Instant touchedAt = TestTime.Start + TestTime.Minutes(1) + Duration.FromTicks(3);

        h.AdvanceTo(touchedAt);
        SessionInfo touched = (await h.Registry.TouchAsync(info.Id)).Session;

        touched.LastActiveAt.Should().BeGreaterThanOrEqualTo(touchedAt);
        (touched.LastActiveAt - touchedAt).Should().BeLessThan(Duration.FromTicks(10));
        h.AdvanceTo(touchedAt + h.Idle - TestTime.OneTick);
        (await h.Registry.LookupAsync(info.Id)).IsActive.Should().BeTrue();
        h.AdvanceTo(touched.LastActiveAt + h.Idle);
        ExpiredSession expired = (await h.Registry.LookupAsync(info.Id)).Expiry;
        expired.ExpiredAt.Should().Be(expired.LastActiveAt + h.Idle);
    }

    [Test]
    public async Task IdleTimeout_zero_disables_idle_expiry()
    {
        using var h = new RegistryHarness(o => o.IdleTimeout = TimeSpan.Zero);
        SessionInfo info = await h.Registry.CreateAsync();

        h.Advance(Duration.FromDays(30));

        (await h.Registry.SweepAsync()).Should().Be(0);
        (await h.Registry.LookupAsync(info.Id)).IsActive.Should().BeTrue();
        (await h.Registry.TouchAsync(info.Id)).IsActive.Should().BeTrue();
        await using (SessionLease lease = await h.Registry.BeginLeaseAsync(info.Id))
        {
            lease.IsHeld.Should().BeTrue();
        }

        h.Advance(Duration.FromDays(300));
        (await h.Registry.LookupAsync(info.Id)).IsActive.Should().BeTrue();
        h.Registry.Count.Should().Be(1);
    }

    [Test]
    public async Task Count_follows_creates_and_ends()
    {
        using var h = new RegistryHarness();
        (await h.Registry.CountAsync()).Should().Be(0);

        SessionInfo a = await h.Registry.CreateAsync();
        await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(10));
        await h.Registry.CreateAsync();
        (await h.Registry.CountAsync()).Should().Be(3);

        await h.Registry.EndAsync(a.Id, ExpiryReason.Deleted);
        (await h.Registry.CountAsync()).Should().Be(2);

        h.AdvanceTo(TestTime.Start + h.Idle);
        h.Registry.Count.Should().Be(2, "overdue sessions count until a lookup or a sweep ends them");
        (await h.Registry.SweepAsync()).Should().Be(1);
        h.Registry.Count.Should().Be(1);
    }

    [Test]
    public async Task EndAll_ends_every_live_session_and_returns_how_many()
    {
        using var h = new RegistryHarness();
        SessionInfo[] sessions = new SessionInfo[5];
        for (int i = 0; i < sessions.Length; i++)
        {
            sessions[i] = await h.Registry.CreateAsync();
        }

        await h.Registry.EndAsync(sessions[0].Id, ExpiryReason.Deleted);
        h.Advance(TestTime.Minutes(3));

        (await h.Registry.EndAllAsync(ExpiryReason.Closed)).Should().Be(4);

        h.Registry.Count.Should().Be(0);
        (await h.Registry.LookupAsync(sessions[0].Id)).Expiry.Reason.Should().Be(ExpiryReason.Deleted);
        foreach (SessionInfo session in sessions.Skip(1))
        {
            ExpiredSession tombstone = (await h.Registry.LookupAsync(session.Id)).Expiry;
            tombstone.Reason.Should().Be(ExpiryReason.Closed);
            tombstone.ExpiredAt.Should().Be(TestTime.Start + TestTime.Minutes(3));
        }

        h.Observer.Ended.Should().HaveCount(5);
        (await h.Registry.EndAllAsync(ExpiryReason.Closed)).Should().Be(0);
    }

    [Test]
    public async Task EndAll_ends_overdue_sessions_for_timeout_without_counting_them()
    {
        using var h = new RegistryHarness();
        SessionInfo overdue = await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(20));
        SessionInfo live = await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(15));

        (await h.Registry.EndAllAsync(ExpiryReason.Closed)).Should().Be(1);

        h.Registry.Count.Should().Be(0);
        (await h.Registry.LookupAsync(overdue.Id)).Expiry.Reason.Should().Be(ExpiryReason.Timeout);
        (await h.Registry.LookupAsync(live.Id)).Expiry.Reason.Should().Be(ExpiryReason.Closed);
    }

    [Test]
    public void EndAll_rejects_a_null_reason() =>
        FluentActions.Awaiting(async () =>
            {
                using var h = new RegistryHarness();
                await h.Registry.EndAllAsync(null!);
            })
            .Should().ThrowAsync<ArgumentNullException>();

    [Test]
    public async Task After_the_ledger_retention_an_ended_session_is_NotFound()
    {
        using var h = new RegistryHarness(o => o.LedgerRetention = TimeSpan.FromHours(2));
        SessionInfo deleted = await h.Registry.CreateAsync();
        SessionInfo idle = await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(10));
        await h.Registry.EndAsync(deleted.Id, ExpiryReason.Deleted);
        Instant deletedAt = h.Now;

        h.AdvanceTo(deletedAt + Duration.FromHours(2) - TestTime.OneTick);
        (await h.Registry.LookupAsync(deleted.Id)).IsExpired.Should().BeTrue();
        (await h.Registry.LookupAsync(idle.Id)).IsExpired.Should().BeTrue("it idled out at Start + 30 min");

        h.AdvanceTo(deletedAt + Duration.FromHours(2));
        (await h.Registry.LookupAsync(deleted.Id)).IsNotFound.Should().BeTrue();

        h.AdvanceTo(TestTime.Start + h.Idle + Duration.FromHours(2) - TestTime.OneTick);
        (await h.Registry.LookupAsync(idle.Id)).IsExpired.Should().BeTrue();
        h.AdvanceTo(TestTime.Start + h.Idle + Duration.FromHours(2));
        (await h.Registry.LookupAsync(idle.Id)).IsNotFound.Should().BeTrue();
    }

    [Test]
    public async Task With_retention_zero_an_ended_session_is_NotFound_at_once()
    {
        using var h = new RegistryHarness(o => o.LedgerRetention = TimeSpan.Zero);
        SessionInfo info = await h.Registry.CreateAsync();

        (await h.Registry.EndAsync(info.Id, ExpiryReason.Deleted)).Should().BeTrue();

        (await h.Registry.LookupAsync(info.Id)).IsNotFound.Should().BeTrue();
        h.Registry.Count.Should().Be(0);
        h.Observer.Ended.Should().ContainSingle().Which.Reason.Should().Be(ExpiryReason.Deleted);
    }

    [Test]
    public async Task A_session_that_timed_out_longer_ago_than_the_retention_is_NotFound()
    {
        using var h = new RegistryHarness(o => o.LedgerRetention = TimeSpan.FromHours(1));
        SessionInfo info = await h.Registry.CreateAsync();

        h.AdvanceTo(TestTime.Start + h.Idle + Duration.FromHours(1));

        (await h.Registry.LookupAsync(info.Id)).IsNotFound.Should().BeTrue();
        h.Registry.Count.Should().Be(0);
        h.Observer.Ended.Should().ContainSingle().Which.Reason.Should().Be(ExpiryReason.Timeout);
    }

    [TestCase(Probe.Lookup)]
    [TestCase(Probe.Touch)]
    [TestCase(Probe.Lease)]
    public async Task With_retention_zero_a_session_found_overdue_reads_as_unknown(Probe probe)
    {
        using var h = new RegistryHarness(o => o.LedgerRetention = TimeSpan.Zero);
        SessionInfo info = await h.Registry.CreateAsync();

        h.AdvanceTo(TestTime.Start + h.Idle);
        SessionLookup answer = await AskAsync(h.Registry, info.Id, probe);

        answer.IsNotFound.Should().BeTrue("LedgerRetention zero keeps no tombstone, so every ended id reads as unknown");
        h.Registry.Count.Should().Be(0);
        h.Observer.Ended.Should().ContainSingle().Which.Reason.Should().Be(ExpiryReason.Timeout);
        (await h.Registry.LookupAsync(info.Id)).IsNotFound.Should().BeTrue();
    }
}
