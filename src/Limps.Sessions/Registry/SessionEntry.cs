using System.Runtime.CompilerServices;

namespace Limps.Sessions;

/// <summary>
/// The in-memory registry's record of one live session. Its mutable lifecycle state is one 64-bit word so that
/// "is it due, is it leased, record activity, end it" are single compare-and-swap steps: a touch that lands
/// after a sweep read the word makes the sweep's swap fail, so a touched session is never ended for timeout.
/// </summary>
/// <remarks>
/// One entry per live session or handle, so every field counts: 80 bytes (header, id, creation, state, tail, the
/// table's chain link and hash, a handle's state, and the link in its owner's list). The entry is also its own node in
/// the registry's <see cref="SessionTable"/>, and keeps a handle's state and owner, so neither needs a table of its own.
/// </remarks>
internal sealed class SessionEntry(SessionId id, int hash, long createdAtTicks, SessionExtras? extras, object? payload)
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

    /// <summary>The hash of <see cref="Id"/> in the registry's table.</summary>
    public readonly int Hash = hash;

    /// <summary>The next entry in the same bucket of the registry's table; see <see cref="SessionTable"/>.</summary>
    public volatile SessionEntry? Next;

    /// <summary>
    /// A handle's state (null for sessions): replaced whole, under a lock on the entry, so a read never tears and
    /// two updates never lose each other's change. It stays after the end, for a use that touched just before it.
    /// </summary>
    public volatile object? Payload = payload;

    /// <summary>The next handle in its owner's list; see <see cref="HandleOwner"/>. Written under the owner's lock.</summary>
    public SessionEntry? NextOfOwner;

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

    /// <summary>Gets the id as the table's key.</summary>
    public string Key => Id.ToString();

    public static bool IsEnded(long state) => (state & EndedBit) != 0;

    public static long Leases(long state) => (state & LeaseMask) >> LeaseShift;

    public static long LastActiveMicros(long state) => state & TimeMask;

    public static long WithLastActive(long state, long micros) => (state & ~TimeMask) | micros;

    /// <summary>
    /// Reads the extras of a live session. Call it after reading a State that was not ended: it returns false when the
    /// session has ended since (the tail is already the tombstone), and the caller reads State again.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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
