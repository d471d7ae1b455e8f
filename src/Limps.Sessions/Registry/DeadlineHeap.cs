namespace Limps.Sessions;

/// <summary>
/// A 4-ary min-heap of sessions keyed by the deadline they were scheduled at. Deadlines sit next to the session
/// references in one array, so sifting compares neighbouring memory instead of chasing a pointer per step, and a
/// node's four children share a cache line. Sessions that end early are not removed (that would need a position
/// kept in every session); they are dropped when popped, and <see cref="RemoveEnded"/> compacts the heap when they
/// pile up. Touches never update the heap: a popped session whose real deadline moved is pushed back. Not
/// thread-safe: the registry guards it with a lock.
/// </summary>
internal sealed class DeadlineHeap
{
    private const int Arity = 4;

    private Item[] _items = new Item[16];

    public int Count { get; private set; }

    public void Push(SessionEntry entry, long deadlineTicks)
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        SiftUp(Count, new Item(deadlineTicks, entry));
        Count++;
    }

    /// <summary>Removes and returns the earliest entry when its scheduled deadline is at or before <paramref name="nowTicks"/>.</summary>
    public bool TryPopDue(long nowTicks, out SessionEntry entry, out long deadlineTicks)
    {
        if (Count == 0 || _items[0].Deadline > nowTicks)
        {
            entry = null!;
            deadlineTicks = 0;
            return false;
        }

        entry = _items[0].Entry;
        deadlineTicks = _items[0].Deadline;
        Count--;
        Item last = _items[Count];
        _items[Count] = default;
        if (Count > 0)
        {
            SiftDown(0, last);
        }

        return true;
    }

    /// <summary>Drops every ended session and restores the heap order, in O(n).</summary>
    public void RemoveEnded()
    {
        int kept = 0;
        for (int i = 0; i < Count; i++)
        {
            if (!SessionEntry.IsEnded(Volatile.Read(ref _items[i].Entry.State)))
            {
                _items[kept++] = _items[i];
            }
        }

        Array.Clear(_items, kept, Count - kept);
        Count = kept;
        for (int i = (Count - 2) / Arity; i >= 0; i--)
        {
            SiftDown(i, _items[i]);
        }

        // Give memory back after a flood drained away.
        int size = Math.Max(16, (int)Math.Min((long)Count * 2, Array.MaxLength));
        if (size < _items.Length / 2)
        {
            Array.Resize(ref _items, size);
        }
    }

    private void SiftUp(int index, Item moving)
    {
        while (index > 0)
        {
            int parent = (index - 1) / Arity;
            if (_items[parent].Deadline <= moving.Deadline)
            {
                break;
            }

            _items[index] = _items[parent];
            index = parent;
        }

        _items[index] = moving;
    }

    private void SiftDown(int index, Item moving)
    {
        while (true)
        {
            int first = (index * Arity) + 1;
            if (first >= Count)
            {
                break;
            }

            int smallest = first;
            int end = Math.Min(first + Arity, Count);
            for (int child = first + 1; child < end; child++)
            {
                if (_items[child].Deadline < _items[smallest].Deadline)
                {
                    smallest = child;
                }
            }

            if (_items[smallest].Deadline >= moving.Deadline)
            {
                break;
            }

            _items[index] = _items[smallest];
            index = smallest;
        }

        _items[index] = moving;
    }

    private record struct Item(long Deadline, SessionEntry Entry);
}
