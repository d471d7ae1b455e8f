using System.Diagnostics.Metrics;

namespace Limps.Sessions.Redis;

/// <summary>
/// The instruments of the <c>Limps.Sessions</c> meter, with the core's names, counted by the replica that made each
/// change: summed over replicas, <c>limps.sessions.active</c> is the shared live count (every end is counted once,
/// by the replica that won it). Tags carry reason codes only, never ids.
/// </summary>
internal sealed class RedisSessionMetrics : IDisposable
{
    public const string MeterName = "Limps.Sessions";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly UpDownCounter<long> _active;
    private readonly Counter<long> _started;
    private readonly Counter<long> _ended;
    private readonly Counter<long> _expiredLookups;

    public RedisSessionMetrics(IMeterFactory? meterFactory)
    {
        if (meterFactory is null)
        {
            _meter = new Meter(MeterName);
            _ownsMeter = true;
        }
        else
        {
            _meter = meterFactory.Create(new MeterOptions(MeterName));
        }

        _active = _meter.CreateUpDownCounter<long>("limps.sessions.active", "{session}", "Live sessions.");
        _started = _meter.CreateCounter<long>("limps.sessions.started", "{session}", "Sessions created.");
        _ended = _meter.CreateCounter<long>("limps.sessions.ended", "{session}", "Sessions ended, by reason.");
        _expiredLookups = _meter.CreateCounter<long>(
            "limps.sessions.expired_lookups", "{lookup}", "Lookups answered 'expired', by reason.");
    }

    public void Started()
    {
        _started.Add(1);
        _active.Add(1);
    }

    public void Ended(ExpiryReason reason)
    {
        _ended.Add(1, new KeyValuePair<string, object?>("reason", reason.Code));
        _active.Add(-1);
    }

    public void ExpiredLookup(ExpiryReason reason)
    {
        if (_expiredLookups.Enabled)
        {
            _expiredLookups.Add(1, new KeyValuePair<string, object?>("reason", reason.Code));
        }
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
