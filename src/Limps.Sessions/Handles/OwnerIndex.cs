namespace Limps.Sessions;

/// <summary>
/// The live handles of each owner: what "list my handles" reads and where the per-owner cap is enforced. Handles
/// without an owner are not indexed. An owner's set is removed once empty, so owners who come and go leave nothing.
/// </summary>
internal sealed class OwnerIndex<TState>
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    /// <summary>Adds the slot unless its owner already holds <paramref name="max"/> handles.</summary>
    public bool TryAdd(HandleSlot<TState> slot, int max)
    {
        string owner = slot.Owner!;
        while (true)
        {
            Bucket bucket = _buckets.GetOrAdd(owner, static _ => new Bucket());
            lock (bucket)
            {
                if (bucket.Dead)
                {
                    continue;
                }

                if (bucket.Slots.Count >= max)
                {
                    return false;
                }

                bucket.Slots.Add(slot);
                return true;
            }
        }
    }

    public void Remove(HandleSlot<TState> slot)
    {
        if (slot.Owner is null || !_buckets.TryGetValue(slot.Owner, out Bucket? bucket))
        {
            return;
        }

        lock (bucket)
        {
            if (bucket.Slots.Remove(slot) && bucket.Slots.Count == 0)
            {
                // Marked under the lock, so an add that fetched this bucket retries with a fresh one.
                bucket.Dead = true;
                _buckets.TryRemove(new KeyValuePair<string, Bucket>(slot.Owner, bucket));
            }
        }
    }

    public HandleSlot<TState>[] Of(string owner)
    {
        if (!_buckets.TryGetValue(owner, out Bucket? bucket))
        {
            return [];
        }

        lock (bucket)
        {
            return [.. bucket.Slots];
        }
    }

    private sealed class Bucket
    {
        public readonly HashSet<HandleSlot<TState>> Slots = [];

        public bool Dead;
    }
}
