using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NodaTime;

namespace Limps.Sessions;

/// <summary>
/// The telemetry every session store reports through: the <c>Limps.Sessions</c> meter and its instruments, the log
/// events shared by all stores (one set of event ids, instants as ISO-8601 UTC with milliseconds, ids masked), and
/// the notification of <see cref="ISessionLifecycleObserver"/>s. The in-memory and Redis registries use it; a store
/// written outside this repository constructs one the same way, so its sessions show up in the same dashboards, logs
/// and observers.
/// </summary>
/// <remarks>
/// <para>
/// Nothing here throws into the caller: a log provider that throws is ignored (see <see cref="NonThrowing"/>), and an
/// observer that throws is logged (event <c>ObserverFailed</c>) while the other observers are still told. A store
/// calls these methods in the middle of a state change, which must never be left half done because a sink failed.
/// </para>
/// <para>
/// Report each change once, from the process that made it: <see cref="SessionStarted"/> after a create,
/// <see cref="SessionEnded"/> from the call that won the end. Summed over the processes of a shared store, the
/// <c>limps.sessions.active</c> counter is then the live count.
/// </para>
/// </remarks>
public sealed class SessionTelemetry : IDisposable
{
    /// <summary>The name of the meter every store's instruments belong to.</summary>
    public const string MeterName = "Limps.Sessions";

    private const string InstantPattern = "uuuu-MM-dd'T'HH:mm:ss.fff'Z'";

    private readonly ISessionLifecycleObserver[] _observers;
    private readonly bool _ownsMeter;
    private readonly UpDownCounter<long> _active;
    private readonly Counter<long> _started;
    private readonly Counter<long> _ended;
    private readonly Counter<long> _expiredLookups;

    /// <summary>Creates the telemetry of one store.</summary>
    /// <param name="logger">Where the store's events go; <see langword="null"/> writes nothing. Wrapped so it never throws.</param>
    /// <param name="meterFactory">
    /// Creates the <c>Limps.Sessions</c> meter (pass the host's, so the meter is disposed with the host);
    /// <see langword="null"/> creates a standalone meter that <see cref="Dispose"/> disposes.
    /// </param>
    /// <param name="observers">Told when sessions start and end, in this order.</param>
    public SessionTelemetry(
        ILogger? logger = null,
        IMeterFactory? meterFactory = null,
        IEnumerable<ISessionLifecycleObserver>? observers = null)
    {
        Logger = NonThrowing(logger);
        _observers = observers?.ToArray() ?? [];
        if (meterFactory is null)
        {
            Meter = new Meter(MeterName);
            _ownsMeter = true;
        }
        else
        {
            Meter = meterFactory.Create(new MeterOptions(MeterName));
        }

        _active = Meter.CreateUpDownCounter<long>("limps.sessions.active", "{session}", "Live sessions.");
        _started = Meter.CreateCounter<long>("limps.sessions.started", "{session}", "Sessions created.");
        _ended = Meter.CreateCounter<long>("limps.sessions.ended", "{session}", "Sessions ended, by reason.");
        _expiredLookups = Meter.CreateCounter<long>(
            "limps.sessions.expired_lookups", "{lookup}", "Lookups answered 'expired', by reason.");
    }

    /// <summary>
    /// Gets the store's logger, wrapped so that it never throws. A store writes its own events (for example a
    /// connection failure) here; ids in them must be masked (<see cref="SessionId.Masked"/>).
    /// </summary>
    public ILogger Logger { get; }

    /// <summary>
    /// Gets the <c>Limps.Sessions</c> meter, for a store that records instruments of its own next to the shared ones.
    /// Tags must never carry ids.
    /// </summary>
    public Meter Meter { get; }

    /// <summary>Formats an instant the way every Limps log line and HTTP body shows it: ISO-8601 UTC with milliseconds.</summary>
    /// <param name="instant">The instant.</param>
    /// <returns>For example <c>2026-02-11T10:30:00.000Z</c>.</returns>
    public static string FormatInstant(Instant instant) => instant.ToString(InstantPattern, CultureInfo.InvariantCulture);

    /// <summary>
    /// Wraps a logger so that a provider that throws cannot break the operation being logged: a write that throws is
    /// dropped (there is nowhere left to report it), and <see cref="ILogger.IsEnabled"/> that throws reads as disabled.
    /// </summary>
    /// <param name="logger">The logger to guard; <see langword="null"/> gives a logger that writes nothing.</param>
    /// <returns>A logger that never throws.</returns>
    public static ILogger NonThrowing(ILogger? logger) => logger switch
    {
        null => NullLogger.Instance,
        NonThrowingLogger or NullLogger => logger,
        _ => new NonThrowingLogger(logger),
    };

    /// <summary>Reports a session this process created: counts it, logs it and tells the observers.</summary>
    /// <param name="session">The new session.</param>
    public void SessionStarted(SessionInfo session)
    {
        _started.Add(1);
        _active.Add(1);
        if (Logger.IsEnabled(LogLevel.Information))
        {
            // Masking allocates; only pay for it when the line is written.
            Log.SessionStarted(Logger, session.Id.Masked, session.Owner is not null);
        }

        foreach (ISessionLifecycleObserver observer in _observers)
        {
            try
            {
                observer.OnSessionStarted(session);
            }
#pragma warning disable CA1031 // An observer's failure must not undo or break the state change it observes.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.ObserverFailed(Logger, session.Id.Masked, ex);
            }
        }
    }

    /// <summary>Reports a session this process ended (the call that won the end): counts it, logs it and tells the observers.</summary>
    /// <param name="session">The tombstone of the ended session.</param>
    public void SessionEnded(ExpiredSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        _ended.Add(1, new KeyValuePair<string, object?>("reason", session.Reason.Code));
        _active.Add(-1);
        if (Logger.IsEnabled(LogLevel.Information))
        {
#pragma warning disable CA1873 // Guarded by the IsEnabled check above.
            Log.SessionEnded(Logger, session.Id.Masked, session.Reason.Code, FormatInstant(session.ExpiredAt));
#pragma warning restore CA1873
        }

        NotifyEnded(session);
    }

    /// <summary>
    /// Tells the observers of an end that another process sharing the store made and reported (for example an end
    /// another replica announced). Nothing is counted or logged here: that process did it.
    /// </summary>
    /// <param name="session">The tombstone of the ended session.</param>
    public void SessionEndedElsewhere(ExpiredSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        NotifyEnded(session);
    }

    /// <summary>Counts a lookup answered "expired" (tagged with the reason code).</summary>
    /// <param name="reason">The reason the session ended.</param>
    public void ExpiredLookup(ExpiryReason reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        if (_expiredLookups.Enabled)
        {
            _expiredLookups.Add(1, new KeyValuePair<string, object?>("reason", reason.Code));
        }
    }

    /// <summary>Logs that a create was refused because the live sessions reached the capacity.</summary>
    /// <param name="maxSessions">The capacity.</param>
    public void CapacityReached(int maxSessions) => Log.SessionCapacityReached(Logger, maxSessions);

    /// <summary>Logs (at debug level) what a sweep did.</summary>
    /// <param name="ended">Sessions the sweep ended.</param>
    /// <param name="pruned">Tombstones the sweep pruned from the ledger.</param>
    public void SweepCompleted(int ended, int pruned) => Log.SweepCompleted(Logger, ended, pruned);

    /// <summary>Disposes the standalone meter, if this instance created one.</summary>
    public void Dispose()
    {
        if (_ownsMeter)
        {
            Meter.Dispose();
        }
    }

    private void NotifyEnded(ExpiredSession session)
    {
        foreach (ISessionLifecycleObserver observer in _observers)
        {
            try
            {
                observer.OnSessionEnded(session);
            }
#pragma warning disable CA1031 // An observer's failure must not undo or break the state change it observes.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.ObserverFailed(Logger, session.Id.Masked, ex);
            }
        }
    }
}
