using System.Collections.Concurrent;

namespace Limps.Sessions;

/// <summary>
/// The owners of a kind's live handles: where the per-owner cap is enforced and what "list my handles" reads. Handles
/// without an owner are not indexed. An owner leaves the index with its last handle, so owners who come and go leave
/// nothing.
/// </summary>
internal sealed class OwnerIndex
{
    private readonly ConcurrentDictionary<string, HandleOwner> _owners = new(StringComparer.Ordinal);

    /// <summary>Counts one more handle for <paramref name="owner"/>, unless it already holds <paramref name="max"/>.</summary>
    /// <returns>The owner, to keep in the handle's entry, or null when the owner is at the cap.</returns>
    public HandleOwner? TryReserve(string owner, int max)
    {
        while (true)
        {
            HandleOwner record = _owners.GetOrAdd(owner, static key => new HandleOwner(key));
            lock (record)
            {
                if (record.Dead)
                {
                    continue;
                }

                if (record.Live >= max)
                {
                    return null;
                }

                record.Live++;
                return record;
            }
        }
    }

    /// <summary>Links a created handle's entry into its owner's list.</summary>
    public static void Link(HandleOwner record, SessionEntry entry)
    {
        lock (record)
        {
            // An owner whose handles have all ended already (this one included) has left the index: nothing to link.
            if (record.Dead)
            {
                return;
            }

            entry.NextOfOwner = record.First;
            record.First = entry;
            record.Linked++;
        }
    }

    /// <summary>Gives back the count of a handle that ended (or was never created).</summary>
    public void Release(HandleOwner record)
    {
        lock (record)
        {
            if (record.Dead)
            {
                return;
            }

            record.Live--;
            if (record.Live == 0)
            {
                // Marked under the lock, so a reservation that fetched this owner retries with a fresh one.
                record.Dead = true;
                record.First = null;
                record.Linked = 0;
                _owners.TryRemove(new KeyValuePair<string, HandleOwner>(record.Owner!, record));
            }
            else if (record.Linked > (2 * record.Live) + 8)
            {
                Compact(record);
            }
        }
    }

    /// <summary>Gives back the count of an ended handle of <paramref name="owner"/>.</summary>
    public void Release(string owner)
    {
        if (_owners.TryGetValue(owner, out HandleOwner? record))
        {
            Release(record);
        }
    }

    /// <summary>The owner's handles that had not ended when looked at.</summary>
    public SessionEntry[] Of(string owner)
    {
        if (!_owners.TryGetValue(owner, out HandleOwner? record))
        {
            return [];
        }

        lock (record)
        {
            var live = new List<SessionEntry>(record.Live);
            for (SessionEntry? entry = record.First; entry is not null; entry = entry.NextOfOwner)
            {
                if (!SessionEntry.IsEnded(Volatile.Read(ref entry.State)))
                {
                    live.Add(entry);
                }
            }

            return [.. live];
        }
    }

    /// <summary>Gets the entries linked in every owner's list, ended ones included, for tests.</summary>
    public int LinkedCount()
    {
        int linked = 0;
        foreach (HandleOwner record in _owners.Values)
        {
            lock (record)
            {
                linked += record.Linked;
            }
        }

        return linked;
    }

    // Drops ended entries from the list: O(list) once ended ones outnumber live ones, so O(1) per end.
    private static void Compact(HandleOwner record)
    {
        SessionEntry? kept = null;
        int count = 0;
        for (SessionEntry? entry = record.First; entry is not null;)
        {
            SessionEntry? next = entry.NextOfOwner;
            entry.NextOfOwner = null;
            if (!SessionEntry.IsEnded(Volatile.Read(ref entry.State)))
            {
                entry.NextOfOwner = kept;
                kept = entry;
                count++;
            }

            entry = next;
        }

        record.First = kept;
        record.Linked = count;
    }
}
