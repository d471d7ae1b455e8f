using NodaTime;

namespace Limps.Sessions.Tests;

/// <summary>The optional absolute MaxLifetime: reason "lifetime", never while a request is in flight.</summary>
public class InMemorySessionRegistryLifetimeTests
{
    private static RegistryHarness WithLifetime(TimeSpan idle) => new(o =>
    {
        o.IdleTimeout = idle;
        o.MaxLifetime = TimeSpan.FromHours(1);
    });

    [Test]
    public async Task The_sweep_ends_a_session_at_its_lifetime()
    {
        using RegistryHarness h = WithLifetime(TimeSpan.FromMinutes(30));
        SessionInfo info = await h.Registry.CreateAsync();
        for (int i = 0; i < 5; i++)
        {
            h.Advance(TestTime.Minutes(10));
            await h.Registry.TouchAsync(info.Id);
            (await h.Registry.SweepAsync()).Should().Be(0);
        }

        h.AdvanceTo(TestTime.Start + Duration.FromHours(1));
        (await h.Registry.SweepAsync()).Should().Be(1);
        h.Observer.Ended.Should().ContainSingle().Which.Reason.Should().Be(ExpiryReason.Lifetime);
    }

    [Test]
    public async Task Idle_timeout_before_the_lifetime_still_ends_with_timeout()
    {
        using RegistryHarness h = WithLifetime(TimeSpan.FromMinutes(30));
        SessionInfo info = await h.Registry.CreateAsync();

        h.Advance(Duration.FromHours(5));

        ExpiredSession expired = (await h.Registry.LookupAsync(info.Id)).Expiry;
        expired.Reason.Should().Be(ExpiryReason.Timeout);
        expired.ExpiredAt.Should().Be(TestTime.Start + TestTime.Minutes(30));
    }

    [Test]
    public async Task The_lifetime_does_not_end_a_session_while_a_lease_is_open()
    {
        using RegistryHarness h = WithLifetime(TimeSpan.FromMinutes(30));
        SessionInfo info = await h.Registry.CreateAsync();
        h.Advance(TestTime.Minutes(10));
        SessionLease lease = await h.Registry.BeginLeaseAsync(info.Id);

        h.AdvanceTo(TestTime.Start + Duration.FromHours(2));
        (await h.Registry.SweepAsync()).Should().Be(0);
        (await h.Registry.LookupAsync(info.Id)).IsActive.Should().BeTrue();
        (await h.Registry.TouchAsync(info.Id)).IsActive.Should().BeTrue();

        Instant releasedAt = h.Now;
        await lease.DisposeAsync();

        ExpiredSession expired = (await h.Registry.LookupAsync(info.Id)).Expiry;
        expired.Reason.Should().Be(ExpiryReason.Lifetime);
        expired.ExpiredAt.Should().Be(releasedAt, "a session kept busy past its lifetime ends when its last request does");
        expired.LastActiveAt.Should().Be(releasedAt);
    }

    [Test]
    public async Task With_idle_expiry_disabled_the_lifetime_still_applies()
    {
        using RegistryHarness h = WithLifetime(TimeSpan.Zero);
        SessionInfo info = await h.Registry.CreateAsync();

        h.AdvanceTo(TestTime.Start + Duration.FromHours(1) - TestTime.OneTick);
        (await h.Registry.SweepAsync()).Should().Be(0);
        (await h.Registry.LookupAsync(info.Id)).IsActive.Should().BeTrue();

        h.AdvanceTo(TestTime.Start + Duration.FromHours(1));
        (await h.Registry.SweepAsync()).Should().Be(1);
        (await h.Registry.LookupAsync(info.Id)).Expiry.Reason.Should().Be(ExpiryReason.Lifetime);
    }

    [Test]
    public async Task With_idle_expiry_disabled_a_leased_session_is_swept_after_release_past_its_lifetime()
    {
        using RegistryHarness h = WithLifetime(TimeSpan.Zero);
        SessionInfo info = await h.Registry.CreateAsync();
        SessionLease lease = await h.Registry.BeginLeaseAsync(info.Id);

        h.AdvanceTo(TestTime.Start + Duration.FromHours(2));
        (await h.Registry.SweepAsync()).Should().Be(0);
        await lease.DisposeAsync();

        h.Advance(Duration.FromTimeSpan(h.Options.EffectiveSweepInterval));
        (await h.Registry.SweepAsync()).Should().Be(1);
        h.Observer.Ended.Should().ContainSingle().Which.Reason.Should().Be(ExpiryReason.Lifetime);
    }

    [Test]
    public async Task Without_MaxLifetime_a_busy_session_lives_on()
    {
        using var h = new RegistryHarness();
        SessionInfo info = await h.Registry.CreateAsync();

        for (int i = 0; i < 100; i++)
        {
            h.Advance(TestTime.Minutes(29));
            (await h.Registry.TouchAsync(info.Id)).IsActive.Should().BeTrue();
        }
    }
}
