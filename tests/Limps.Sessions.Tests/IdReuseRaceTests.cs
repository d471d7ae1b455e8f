using NodaTime;
using NodaTime.Testing;

namespace Limps.Sessions.Tests;

/// <summary>
/// Reusing an id, which <see cref="ISessionRegistry.CreateAsync"/> allows once the previous session with that id has
/// ended, races cleanly with that session's way out. (Both found by the linearizability check; fixed in the registry.)
/// </summary>
/// <remarks>
/// <para>
/// A create may take the place of an ended session whose entry is still on its way out (its tombstone being
/// recorded): an ended entry is no "live session with that id".
/// </para>
/// <para>
/// A lease asked for while the same id is being created answers from the ledger (not live when looked at) or holds
/// the new session; it never throws.
/// </para>
/// </remarks>
public class IdReuseRaceTests
{
    [Test]
    public async Task The_id_of_a_session_whose_end_is_still_being_recorded_can_be_reused()
    {
        var options = new LimpsSessionsOptions { IdleTimeout = TimeSpan.FromMinutes(1) };
        var clock = new FakeClock(TestTime.Start);
        var ledger = new GatedLedger(new InMemoryExpiryLedger(options, clock));
        using var registry = new InMemorySessionRegistry(options, clock, ledger);
        SessionId id = SessionId.Parse("reused-session-id");
        await registry.CreateAsync(id);
        clock.Advance(Duration.FromMinutes(1));

        ledger.Shut();
        Task<SessionLookup> lookup = registry.LookupAsync(id).AsTask(); // finds it overdue: ends it for timeout
        ledger.Pending.Should().Be(1, "the tombstone is being written");
        Task<SessionInfo> create = registry.CreateAsync(id).AsTask();
        ledger.Open();
        await lookup;

        (await lookup).Expiry.Reason.Should().Be(ExpiryReason.Timeout);
        await FluentActions.Awaiting(() => create).Should().NotThrowAsync("the session that had this id has ended");
        (await registry.LookupAsync(id)).IsActive.Should().BeTrue();
        registry.Count.Should().Be(1);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_lease_taken_while_its_id_is_being_created_never_throws()
    {
        using var registry = new InMemorySessionRegistry(new LimpsSessionsOptions(), new FakeClock(TestTime.Start));
        SessionId id = SessionId.Parse("reused-session-id");
        int stop = 0;
        long held = 0;
        long notHeld = 0;

        // One thread creates and deletes the id in a loop; the other leases it in a loop. Bounded: 1.5 s or a million leases.
        Task churn = Task.Factory.StartNew(async () =>
        {
            while (Volatile.Read(ref stop) == 0)
            {
                await registry.CreateAsync(id);
                await registry.EndAsync(id, ExpiryReason.Deleted);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

        Exception? thrown = null;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            for (int i = 0; i < 1_000_000 && watch.Elapsed < TimeSpan.FromSeconds(1.5); i++)
            {
                SessionLease lease = await registry.BeginLeaseAsync(id);
                await lease.DisposeAsync();
                _ = lease.IsHeld ? held++ : notHeld++;
            }
        }
        catch (ArgumentException ex)
        {
            thrown = ex;
        }
        finally
        {
            Volatile.Write(ref stop, 1);
            await churn;
        }

        thrown.Should().BeNull("BeginLeaseAsync must answer Active with a held lease, or Expired/NotFound, never throw");
        held.Should().BeGreaterThan(0, "the race was exercised");
        notHeld.Should().BeGreaterThan(0, "the race was exercised");
    }
}
