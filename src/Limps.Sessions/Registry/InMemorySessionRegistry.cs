using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace Limps.Sessions;

/// <summary>
/// An <see cref="ISessionRegistry"/> in process memory, for a single server process.
/// </summary>
/// <remarks>
/// <para>
/// Touch and lookup of a live session are one hash-table probe plus one compare-and-swap, and allocate nothing.
/// Idle deadlines sit in a min-heap that touches never update; a sweep pops only the sessions whose scheduled
/// deadline has passed and pushes back those that were used since, so it costs in proportion to the sessions that
/// are due, not to all live sessions.
/// </para>
/// <para>
/// Activity instants are kept with microsecond precision, rounded up, so a session never idles out early. Every
/// decision reads the injected <see cref="IClock"/>.
/// </para>
/// </remarks>
public sealed partial class InMemorySessionRegistry : ISessionRegistry, IDisposable
{
    private const long TicksPerMicrosecond = 10;

    private readonly SessionTable _sessions = new();
    private readonly DeadlineHeap _heap = new();
    private readonly Lock _heapLock = new();
    private readonly IClock _clock;
    private readonly CoarseClock? _coarseClock;
    private readonly IExpiryLedger _ledger;
    private readonly SessionTelemetry _telemetry;
    private readonly int _maxSessions;
    private readonly long _idleTicks;
    private readonly long _lifetimeTicks;

    // The idle timeout and the lifetime for the fast "certainly not due" check: a window that is off is as long as
    // the registry's whole time range, so the check never fails on it (and the sums cannot overflow).
    private readonly long _idleWindowTicks;
    private readonly long _lifetimeWindowTicks;
    private readonly long _recheckLeasedTicks;
    private readonly long _retentionTicks;
    private readonly long _epochUnixTicks;
    private int _count;

    // Slots that may be given back within a few instructions: an end between its marker and its swap, a create of a
    // given id between its reservation and finding the id live. A create refused at capacity waits for them.
    private int _slotsInDoubt;

    /// <summary>Creates a registry on the system clock with an in-memory ledger.</summary>
    /// <param name="options">The options; validated here.</param>
    public InMemorySessionRegistry(LimpsSessionsOptions options)
        : this(options, SystemClock.Instance)
    {
    }

    /// <summary>Creates a registry on a given clock with an in-memory ledger.</summary>
    /// <param name="options">The options; validated here.</param>
    /// <param name="clock">The clock every expiry decision reads.</param>
    public InMemorySessionRegistry(LimpsSessionsOptions options, IClock clock)
        : this(options, clock, new InMemoryExpiryLedger(options, clock))
    {
    }

    /// <summary>Creates a registry.</summary>
    /// <param name="options">The options; validated here.</param>
    /// <param name="clock">The clock every expiry decision reads.</param>
    /// <param name="ledger">Where tombstones of ended sessions go.</param>
    /// <param name="observers">Notified when sessions start and end.</param>
    /// <param name="logger">The logger; ids are always masked.</param>
    /// <param name="meterFactory">Creates the <c>Limps.Sessions</c> meter; <see langword="null"/> creates a standalone one.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are not valid.</exception>
    public InMemorySessionRegistry(
        LimpsSessionsOptions options,
        IClock clock,
        IExpiryLedger ledger,
        IEnumerable<ISessionLifecycleObserver>? observers = null,
        ILogger<InMemorySessionRegistry>? logger = null,
        IMeterFactory? meterFactory = null)
    {
        LimpsSessionsOptionsValidator.ThrowIfInvalid(options);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(ledger);
        _clock = clock;
        _coarseClock = clock as CoarseClock;
        _ledger = ledger;
        _telemetry = new SessionTelemetry(logger, meterFactory, observers);
        _maxSessions = options.MaxSessions;
        _idleTicks = options.IdleTimeout.Ticks;
        _lifetimeTicks = options.MaxLifetime.Ticks;
        _idleWindowTicks = _idleTicks > 0 ? _idleTicks : long.MaxValue / 4;
        _lifetimeWindowTicks = _lifetimeTicks > 0 ? _lifetimeTicks : long.MaxValue / 4;
        _recheckLeasedTicks = _idleTicks > 0 ? _idleTicks : options.EffectiveSweepInterval.Ticks;
        _retentionTicks = options.LedgerRetention.Ticks;

        // A microsecond-aligned epoch a day in the past leaves room for a clock that is set back a little.
        long unixNow = clock.GetCurrentInstant().ToUnixTimeTicks() - TimeSpan.TicksPerDay;
        _epochUnixTicks = unixNow - (unixNow % TicksPerMicrosecond);
    }

    private enum Access
    {
        Lookup,
        Touch,
        Lease,
    }

    /// <summary>Gets the number of live sessions.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Gets how many sessions are on the deadline schedule, including ended ones not yet dropped.</summary>
    internal int ScheduledCount
    {
        get
        {
            lock (_heapLock)
            {
                return _heap.Count;
            }
        }
    }

    /// <summary>Gets how many entries the id table holds, live or ended and not yet removed, for tests.</summary>
    internal int TableCount => _sessions.Count;

    /// <inheritdoc />
    public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) => new(Count);

    /// <summary>Disposes the standalone meter, if the registry created one.</summary>
    public void Dispose() => _telemetry.Dispose();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long NowTicks() =>
        (_coarseClock is null ? _clock.GetCurrentInstant().ToUnixTimeTicks() : _coarseClock.UnixTicks) - _epochUnixTicks;

    private Instant ToInstant(long registryTicks) => Instant.FromUnixTimeTicks(registryTicks + _epochUnixTicks);

    private static long ToMicrosRoundedUp(long registryTicks) => registryTicks <= 0
        ? 0
        : Math.Min((registryTicks + TicksPerMicrosecond - 1) / TicksPerMicrosecond, SessionEntry.TimeMask);

    private static long LastActiveTicks(long state) => SessionEntry.LastActiveMicros(state) * TicksPerMicrosecond;
}
