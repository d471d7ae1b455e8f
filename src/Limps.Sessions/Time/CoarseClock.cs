using NodaTime;

namespace Limps.Sessions;

/// <summary>
/// An <see cref="IClock"/> that answers from a timestamp refreshed on a timer instead of reading the system time on
/// every call, so that touching a session costs close to a dictionary hit. Its answers lag the underlying clock by
/// at most <see cref="RefreshInterval"/> (plus timer jitter): activity is recorded up to that much early, so a session
/// may expire up to that much before its exact deadline. With the default of 10 ms and idle timeouts of minutes,
/// the difference does not matter; where it does, use the exact clock.
/// </summary>
/// <example>
/// <code>services.AddSingleton&lt;IClock&gt;(new CoarseClock());   // before AddLimpsSessions()</code>
/// </example>
public sealed class CoarseClock : IClock, IDisposable
{
    /// <summary>The default refresh interval: 10 milliseconds.</summary>
    public static readonly TimeSpan DefaultRefreshInterval = TimeSpan.FromMilliseconds(10);

    private readonly IClock _source;
    private readonly ITimer _timer;

    // Replaced whole on each refresh (100 small objects a second at the default), so IClock readers get an Instant
    // without converting on every call.
    private Sample _sample;

    // The same sample as Unix ticks, for the registry's touch: one 64-bit read (atomic on every 64-bit runtime and,
    // through Volatile, on 32-bit ones too), without following the sample's reference.
    private long _unixTicks;

    /// <summary>Creates a coarse clock over <see cref="SystemClock.Instance"/>, refreshed every 10 ms.</summary>
    public CoarseClock()
        : this(SystemClock.Instance, DefaultRefreshInterval, TimeProvider.System)
    {
    }

    /// <summary>Creates a coarse clock.</summary>
    /// <param name="source">The exact clock it samples.</param>
    /// <param name="refreshInterval">How often it samples; 1 ms to 1 s.</param>
    /// <param name="timeProvider">Where its timer comes from.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="refreshInterval"/> is outside 1 ms to 1 s.</exception>
    public CoarseClock(IClock source, TimeSpan refreshInterval, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThan(refreshInterval, TimeSpan.FromMilliseconds(1));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(refreshInterval, TimeSpan.FromSeconds(1));
        _source = source;
        RefreshInterval = refreshInterval;
        Instant now = source.GetCurrentInstant();
        _sample = new Sample(now, now.ToUnixTimeTicks());
        _unixTicks = _sample.UnixTicks;
        _timer = timeProvider.CreateTimer(static state => ((CoarseClock)state!).Refresh(), this, refreshInterval, refreshInterval);
    }

    /// <summary>Gets how often the timestamp is refreshed: the most its answers lag the source clock by.</summary>
    public TimeSpan RefreshInterval { get; }

    /// <inheritdoc />
    public Instant GetCurrentInstant() => Volatile.Read(ref _sample).Instant;

    /// <summary>Gets the current sample as Unix ticks, for callers that work in ticks.</summary>
    internal long UnixTicks => Volatile.Read(ref _unixTicks);

    /// <summary>Stops the refresh timer.</summary>
    public void Dispose() => _timer.Dispose();

    private void Refresh()
    {
        Instant now = _source.GetCurrentInstant();
        long ticks = now.ToUnixTimeTicks();

        // Never step backwards, so activity recorded through this clock only moves forward.
        Sample seen = Volatile.Read(ref _sample);
        while (ticks > seen.UnixTicks)
        {
            Sample previous = Interlocked.CompareExchange(ref _sample, new Sample(now, ticks), seen);
            if (ReferenceEquals(previous, seen))
            {
                AdvanceTicks(ticks);
                return;
            }

            seen = previous;
        }
    }

    // A timer may run two refreshes at once when one is late; the ticks only ever move forward, like the sample.
    private void AdvanceTicks(long ticks)
    {
        long seen = Volatile.Read(ref _unixTicks);
        while (ticks > seen)
        {
            long previous = Interlocked.CompareExchange(ref _unixTicks, ticks, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }

    private sealed record Sample(Instant Instant, long UnixTicks);
}
