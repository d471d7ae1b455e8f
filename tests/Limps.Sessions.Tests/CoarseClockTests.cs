using Microsoft.Extensions.Time.Testing;
using NodaTime;
using NodaTime.Testing;

namespace Limps.Sessions.Tests;

public class CoarseClockTests
{
    [Test]
    public void Answers_the_source_time_sampled_at_each_refresh()
    {
        var source = new FakeClock(TestTime.Start);
        var timers = new FakeTimeProvider();
        using var clock = new CoarseClock(source, TimeSpan.FromMilliseconds(10), timers);

        clock.GetCurrentInstant().Should().Be(TestTime.Start);
        source.Advance(Duration.FromMilliseconds(7));
        clock.GetCurrentInstant().Should().Be(TestTime.Start, "no refresh has happened yet");

        timers.Advance(TimeSpan.FromMilliseconds(10));

        clock.GetCurrentInstant().Should().Be(TestTime.Start + Duration.FromMilliseconds(7));
        clock.RefreshInterval.Should().Be(TimeSpan.FromMilliseconds(10));
    }

    [Test]
    public void Never_steps_backwards_when_the_source_does()
    {
        var source = new FakeClock(TestTime.Start);
        var timers = new FakeTimeProvider();
        using var clock = new CoarseClock(source, TimeSpan.FromMilliseconds(10), timers);

        source.Reset(TestTime.Start - Duration.FromSeconds(5));
        timers.Advance(TimeSpan.FromMilliseconds(10));

        clock.GetCurrentInstant().Should().Be(TestTime.Start);
    }

    [Test]
    public void Stops_refreshing_once_disposed()
    {
        var source = new FakeClock(TestTime.Start);
        var timers = new FakeTimeProvider();
        var clock = new CoarseClock(source, TimeSpan.FromMilliseconds(10), timers);

        clock.Dispose();
        source.Advance(Duration.FromSeconds(1));
        timers.Advance(TimeSpan.FromSeconds(1));

        clock.GetCurrentInstant().Should().Be(TestTime.Start);
    }

    [TestCase(0.5)]
    [TestCase(1001)]
    public void Rejects_a_refresh_interval_outside_1_ms_to_1_s(double milliseconds)
    {
        FluentActions.Invoking(() => new CoarseClock(new FakeClock(TestTime.Start), TimeSpan.FromMilliseconds(milliseconds), new FakeTimeProvider()))
            .Should().Throw<ArgumentOutOfRangeException>();
    }

    [Test]
    public void The_default_samples_the_system_clock()
    {
        using var clock = new CoarseClock();
        Instant before = SystemClock.Instance.GetCurrentInstant();

        Instant seen = clock.GetCurrentInstant();

        clock.RefreshInterval.Should().Be(CoarseClock.DefaultRefreshInterval);
        (seen - before).Should().BeLessThan(Duration.FromSeconds(5)).And.BeGreaterThan(-Duration.FromSeconds(5));
    }
}
