using NodaTime;

namespace Limps.Sessions.Tests;

/// <summary>
/// An explicit end is dated at or after the last activity it records. <c>EndAsync</c> reads the clock before its
/// compare-and-swap, so a request may record activity in between (or on a retry of the swap); the end is then dated at
/// that activity, never before it, or the tombstone would say the session stopped being usable before a request it
/// served. The interleaving clock makes that window deterministic. (Found by this test; fixed in the registry.)
/// </summary>
public class EndInstantTests
{
    [Test]
    public async Task An_explicit_end_is_never_dated_before_the_activity_it_records()
    {
        var options = new LimpsSessionsOptions();
        var clock = new InterleavingClock(TestTime.Start);
        var ledger = new InMemoryExpiryLedger(options, clock);
        using var registry = new InMemorySessionRegistry(options, clock, ledger);
        SessionInfo session = await registry.CreateAsync();
        clock.Inner.Advance(Duration.FromMinutes(1));

        SessionLookup touched = default;
        clock.OnNextRead(() =>
        {
            // A request lands after the DELETE read the clock and before it ended the session.
            clock.Inner.Advance(Duration.FromSeconds(1));
            touched = registry.TouchAsync(session.Id).AsTask().GetAwaiter().GetResult();
        });

        (await registry.EndAsync(session.Id, ExpiryReason.Deleted)).Should().BeTrue();

        touched.IsActive.Should().BeTrue("the request was served");
        ExpiredSession tombstone = (await registry.LookupAsync(session.Id)).Expiry;
        tombstone.LastActiveAt.Should().Be(touched.Session.LastActiveAt);
        tombstone.ExpiredAt.Should().BeGreaterThanOrEqualTo(
            tombstone.LastActiveAt, "a session cannot stop being usable before a request it served");
    }
}
