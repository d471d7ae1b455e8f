namespace Limps.Sessions;

/// <summary>
/// The in-memory registry's record of one live session. Its mutable lifecycle state is one 64-bit word so that
/// "is it due, is it leased, record activity, end it" are single compare-and-swap steps: a touch that lands
/// after a sweep read the word makes the sweep's swap fail, so a touched session is never ended for timeout.
/// </summary>
internal sealed class SessionEntry(SessionId id, long createdAtTicks, SessionExtras? extras)
{
    // Word layout: bit 63 ended; bits 48-62 open leases; bits 0-47 last activity in microseconds after the
    // registry's epoch (8.9 years of range; rounded up, so a session never idles out early).
    public const long EndedBit = 1L << 63;
    public const int LeaseShift = 48;
    public const long OneLease = 1L << LeaseShift;
    public const long LeaseMask = 0x7FFFL << LeaseShift;
    public const long MaxLeases = 0x7FFF;
    public const long TimeMask = OneLease - 1;

    public readonly SessionId Id = id;

    /// <summary>Creation instant in registry ticks (100 ns after the registry's epoch).</summary>
    public readonly long CreatedAtTicks = createdAtTicks;

    /// <summary>Owner and metadata; null for the common anonymous session without metadata, to keep entries small.</summary>
    public readonly SessionExtras? Extras = extras;

    public long State;

    /// <summary>Set once by the thread that ended the session, right after it won the end.</summary>
    public ExpiredSession? Tombstone;

    public static bool IsEnded(long state) => (state & EndedBit) != 0;

    public static long Leases(long state) => (state & LeaseMask) >> LeaseShift;

    public static long LastActiveMicros(long state) => state & TimeMask;

    public static long WithLastActive(long state, long micros) => (state & ~TimeMask) | micros;
}
