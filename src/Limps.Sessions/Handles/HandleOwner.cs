namespace Limps.Sessions;

/// <summary>
/// One owner of a kind's handles: the extras every one of its handles' registry entries points at (so the owner costs
/// each handle no more than that reference), the count the per-owner cap is checked against, and the owner's list of
/// handles, linked through the entries themselves, for "list mine" in O(mine). Every field is guarded by a lock on
/// this object.
/// </summary>
/// <remarks>
/// Ended handles leave the list lazily: they are skipped when the list is read, and the list is compacted once they
/// outnumber the live ones, which keeps both the list and the memory it holds within twice the live handles.
/// </remarks>
internal sealed class HandleOwner(string owner) : SessionExtras(owner, null)
{
    /// <summary>Live handles, counted from the reservation before the create until the end.</summary>
    public int Live;

    /// <summary>Entries in the list, live or ended.</summary>
    public int Linked;

    /// <summary>The most recently linked entry; the rest follow through <see cref="SessionEntry.NextOfOwner"/>.</summary>
    public SessionEntry? First;

    /// <summary>Set under the lock when the last handle ended and the owner left the index; a reservation retries.</summary>
    public bool Dead;
}
