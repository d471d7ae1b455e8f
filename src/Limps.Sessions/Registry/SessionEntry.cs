using System.Runtime.CompilerServices;

namespace Limps.Sessions;

/// <summary>
/// The in-memory registry's record of one live session. Its mutable lifecycle state is one 64-bit word so that
/// "is it due, is it leased, record activity, end it" are single compare-and-swap steps: a touch that lands
/// after a sweep read the word makes the sweep's swap fail, so a touched session is never ended for timeout.
/// </summary>
/// <remarks>
/// Kept at 48 bytes (header, id, creation, state, tail): one entry per live session, so every field counts.
/// </remarks>
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

    public long State;

    // One field for two things that are never needed at the same time: while the session is live, its extras (owner
    // and metadata; null for the common anonymous session without metadata); once it has ended, its tombstone (which
    // keeps the owner). The thread that won the end replaces the extras with the tombstone right after its swap of
    // State set the ended bit, so a tail that is a tombstone always goes with an ended State, and extras read after a
    // State that was not ended belong to the session that State describes.
    private object? _tail = extras;

    /// <summary>Gets the tombstone, once the thread that ended the session has published it; otherwise null.</summary>
    public ExpiredSession? Tombstone => Volatile.Read(ref _tail) as ExpiredSession;

    /// <summary>Gets the owner key, live or ended (the tombstone carries it over).</summary>
    public string? Owner => Volatile.Read(ref _tail) switch
    {
        SessionExtras extras => extras.Owner,
        ExpiredSession tombstone => tombstone.Owner,
        _ => null,
    };

    public static bool IsEnded(long state) => (state & EndedBit) != 0;

    public static long Leases(long state) => (state & LeaseMask) >> LeaseShift;

    public static long LastActiveMicros(long state) => state & TimeMask;

    public static long WithLastActive(long state, long micros) => (state & ~TimeMask) | micros;

    /// <summary>
    /// Reads the extras of a live session. Call it after reading a State that was not ended: it returns false when the
    /// session has ended since (the tail is already the tombstone), and the caller reads State again.
    /// </summary>
    public bool TryReadExtras(out SessionExtras? extras)
    {
        object? tail = Volatile.Read(ref _tail);
        if (tail is ExpiredSession)
        {
            extras = null;
            return false;
        }

        // Only extras, tombstones or null are ever stored, so this cast needs no second type check.
        extras = Unsafe.As<SessionExtras?>(tail);
        return true;
    }

    /// <summary>Publishes the tombstone. Called once, by the thread whose swap set the ended bit.</summary>
    public void PublishTombstone(ExpiredSession tombstone) => Volatile.Write(ref _tail, tombstone);
}
