using NodaTime;

namespace Limps.Sessions.Tests;

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
    public void EndAll_rejects_a_null_reason() =>
        FluentActions.Awaiting(async () =>
            {
                using var h = new RegistryHarness();
                await h.Registry.EndAllAsync(null!);
            })
            .Should().ThrowAsync<ArgumentNullException>();

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

}
