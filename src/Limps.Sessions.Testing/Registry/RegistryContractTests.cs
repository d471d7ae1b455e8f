// Each test's name says what it proves; the names are the documentation of these public methods.
#pragma warning disable CS1591
using System.Collections.Concurrent;
using NodaTime;

namespace Limps.Sessions.Testing;

/// <summary>
/// The behaviour every <see cref="ISessionRegistry"/> owes its callers, written once and run against each
/// implementation: the in-memory registry (the reference semantics), the Redis one, and yours. Subclass it in an NUnit
/// test project, mark the subclass <c>[TestFixture]</c> and return your registry from <see cref="Create"/>: every test
/// here then runs against it.
/// </summary>
/// <remarks>
/// Time is a <see cref="NodaTime.Testing.FakeClock"/> at <see cref="TestTime.Start"/>; the registry must read every
/// instant from it. Each test creates its own harness, so a store shared between tests needs a fresh key space (for
/// example a new key prefix) per harness.
/// </remarks>
public abstract partial class RegistryContractTests
{
    private static readonly ExpiryReason[] EndReasons =
        [ExpiryReason.Deleted, ExpiryReason.Closed, ExpiryReason.Evicted, new RevokedReason()];

    /// <summary>Creates a registry (and its ledger) on a fake clock at <see cref="TestTime.Start"/>.</summary>
    /// <param name="configure">Changes the options (defaults otherwise) before the registry is created.</param>
    /// <returns>The harness around the new registry; the test disposes it.</returns>
    protected abstract RegistryHarness Create(Action<LimpsSessionsOptions>? configure = null);

    /// <summary>
    /// Gets how the registry enforces <see cref="LimpsSessionsOptions.MaxSessions"/> and its ledger
    /// <see cref="LimpsSessionsOptions.MaxLedgerEntries"/>: <see cref="StoreCapacity.Exact"/> unless overridden. A
    /// registry that enforces them per partition returns <see cref="StoreCapacity.Partitioned"/>, and the capacity
    /// tests then check each partition's share exactly (with ids chosen to land in one partition) and the total never
    /// above the configured capacity.
    /// </summary>
    protected virtual StoreCapacity Capacity => StoreCapacity.Exact;

    // ---- create ------------------------------------------------------------------------------------------------

    [Test]
    public async Task Create_with_a_new_id()
    {
        using RegistryHarness h = Create();

        SessionInfo info = await h.Registry.CreateAsync();

        info.Id.IsEmpty.Should().BeFalse();
        info.CreatedAt.Should().Be(TestTime.Start);
        info.LastActiveAt.Should().Be(TestTime.Start);
        info.Owner.Should().BeNull();
        info.Metadata.Should().BeEmpty();
        SessionLookup lookup = await h.Registry.LookupAsync(info.Id);
        lookup.Session.Id.Should().Be(info.Id);
        lookup.Session.CreatedAt.Should().Be(TestTime.Start);
        lookup.Session.Owner.Should().BeNull();
        lookup.Session.Metadata.Should().BeEmpty();
        h.Observer.Started.Should().ContainSingle().Which.Id.Should().Be(info.Id);
    }

    [Test]
    public async Task Create_with_a_given_id_keeps_owner_and_metadata()
    {
        using RegistryHarness h = Create();
        SessionId id = SessionId.Parse("sdk-issued-id-1234567890");
        var metadata = new Dictionary<string, string> { ["tenant"] = "acme", ["client"] = "inspector \"x\"\n" };

        SessionInfo created = await h.Registry.CreateAsync(id, owner: "user-42", metadata: metadata);
        h.Advance(TestTime.Minutes(1));

        created.Id.Should().Be(id);
        SessionInfo looked = (await h.Registry.LookupAsync(SessionId.Parse("sdk-issued-id-1234567890"))).Session;
        looked.Owner.Should().Be("user-42");
        looked.Metadata.Should().BeEquivalentTo(metadata);
        (await h.Registry.TouchAsync(id)).Session.Owner.Should().Be("user-42");
    }

    [Test]
    public async Task Create_with_a_live_id_throws_and_changes_nothing()
    {
        using RegistryHarness h = Create();
        SessionId id = SessionId.New();
        await h.Registry.CreateAsync(id, owner: "alice");
        h.Advance(TestTime.Minutes(1));

        InvalidOperationException error = (await FluentActions
            .Awaiting(async () => await h.Registry.CreateAsync(id, owner: "mallory"))
            .Should().ThrowAsync<InvalidOperationException>()).Which;

        error.Message.Should().NotContain(id.ToString());
        (await h.CountAsync()).Should().Be(1);
        SessionLookup lookup = await h.Registry.LookupAsync(id);
        lookup.Session.Owner.Should().Be("alice");
        lookup.Session.CreatedAt.Should().Be(TestTime.Start);
        h.Observer.Started.Should().ContainSingle();
    }

    [Test]
    public async Task Create_with_the_id_of_an_ended_session_starts_a_new_one()
    {
        using RegistryHarness h = Create();
        SessionId id = SessionId.New();
        await h.Registry.CreateAsync(id);
        await h.Registry.EndAsync(id, ExpiryReason.Deleted);
        h.Advance(TestTime.Minutes(1));

        SessionInfo again = await h.Registry.CreateAsync(id);

        again.CreatedAt.Should().Be(TestTime.Start + TestTime.Minutes(1));
        (await h.Registry.LookupAsync(id)).IsActive.Should().BeTrue();
        (await h.CountAsync()).Should().Be(1);
    }

    [Test]
    public async Task Create_with_the_id_of_an_overdue_session_ends_it_for_timeout_first()
    {
        using RegistryHarness h = Create();
        SessionId id = SessionId.New();
        await h.Registry.CreateAsync(id);
        h.Advance(h.Idle + TestTime.Minutes(5));

        SessionInfo again = await h.Registry.CreateAsync(id);

        again.CreatedAt.Should().Be(h.Now);
        h.Observer.Ended.Should().ContainSingle().Which.Reason.Should().Be(ExpiryReason.Timeout);
        h.Observer.Ended.Single().ExpiredAt.Should().Be(TestTime.Start + h.Idle);
        (await h.Registry.LookupAsync(id)).IsActive.Should().BeTrue();
        (await h.CountAsync()).Should().Be(1);
    }

    [Test]
    public void Create_with_the_empty_id_throws() =>
        FluentActions.Awaiting(async () =>
            {
                using RegistryHarness h = Create();
                await h.Registry.CreateAsync(default(SessionId));
            })
            .Should().ThrowAsync<ArgumentException>();

    [Test]
    public async Task Lookup_touch_and_lease_of_unknown_or_empty_ids_say_NotFound()
    {
        using RegistryHarness h = Create();
        await h.Registry.CreateAsync();

        (await h.Registry.LookupAsync(SessionId.New())).IsNotFound.Should().BeTrue();
        (await h.Registry.TouchAsync(SessionId.New())).IsNotFound.Should().BeTrue();
        (await h.Registry.LookupAsync(default)).IsNotFound.Should().BeTrue();
        (await h.Registry.TouchAsync(default)).IsNotFound.Should().BeTrue();
        await using (SessionLease lease = await h.Registry.BeginLeaseAsync(SessionId.New()))
        {
            lease.IsHeld.Should().BeFalse();
            lease.Lookup.IsNotFound.Should().BeTrue();
        }

        (await h.LedgerCountAsync()).Should().Be(0);
        (await h.CountAsync()).Should().Be(1);
    }
}
