using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace Limps.Sessions.Client.Tests.Infrastructure;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that also tells when a timer with a given due time was created, so a test knows
/// the handler is waiting on its backoff before it moves the fake time.
/// </summary>
public sealed class WatchedTime : TimeProvider
{
    private readonly FakeTimeProvider _fake = new(new DateTimeOffset(2026, 2, 11, 10, 0, 0, TimeSpan.Zero));
    private readonly ConcurrentQueue<TimeSpan> _created = new();

    public override DateTimeOffset GetUtcNow() => _fake.GetUtcNow();

    public override long GetTimestamp() => _fake.GetTimestamp();

    public override long TimestampFrequency => _fake.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => _fake.LocalTimeZone;

    public IReadOnlyList<TimeSpan> TimersCreated => [.. _created];

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ITimer timer = _fake.CreateTimer(callback, state, dueTime, period);
        _created.Enqueue(dueTime);
        return timer;
    }

    public void Advance(TimeSpan by) => _fake.Advance(by);

    /// <summary>Waits (bounded, in real time, without moving the fake time) until a timer due in <paramref name="dueTime"/> exists.</summary>
    public async Task WaitForTimerAsync(TimeSpan dueTime, int count = 1)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (_created.Count(t => t == dueTime) < count)
        {
            await Task.Delay(2, bound.Token);
        }
    }
}
