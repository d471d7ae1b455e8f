namespace Limps.Sessions;

/// <summary>
/// A binary min-heap of sessions keyed by the deadline they were scheduled at, with each session's position
/// kept in the session so it can be removed in O(log n) when it ends early. Not thread-safe: the registry
/// guards it with a lock. Touches never update it; a popped session whose real deadline moved is pushed back.
/// </summary>
internal sealed class DeadlineHeap
{
    private SessionEntry[] _items = new SessionEntry[16];

    public int Count { get; private set; }

    public void Push(SessionEntry entry, long deadlineTicks)
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        entry.ScheduledDeadlineTicks = deadlineTicks;
        _items[Count] = entry;
        entry.HeapIndex = Count;
        Count++;
        SiftUp(Count - 1);
    }

    /// <summary>Removes and returns the earliest entry when its scheduled deadline is at or before <paramref name="nowTicks"/>.</summary>
    public bool TryPopDue(long nowTicks, out SessionEntry entry)
    {
        if (Count == 0 || _items[0].ScheduledDeadlineTicks > nowTicks)
        {
            entry = null!;
            return false;
        }

        entry = _items[0];
        RemoveAt(0);
        return true;
    }

    public void Remove(SessionEntry entry)
    {
        int index = entry.HeapIndex;
        if (index >= 0 && index < Count && ReferenceEquals(_items[index], entry))
        {
            RemoveAt(index);
        }
    }

    private void RemoveAt(int index)
    {
        SessionEntry removed = _items[index];
        removed.HeapIndex = -1;
        Count--;
        if (index != Count)
        {
            Place(_items[Count], index);
            _items[Count] = null!;
            SiftDown(index);
            SiftUp(index);
        }
        else
        {
            _items[Count] = null!;
        }

        // Give memory back after a flood drained away.
        if (_items.Length > 64 && Count < _items.Length / 4)
        {
            Array.Resize(ref _items, _items.Length / 2);
        }
    }

    private void SiftUp(int index)
    {
        SessionEntry moving = _items[index];
        while (index > 0)
        {
            int parent = (index - 1) / 2;
            if (_items[parent].ScheduledDeadlineTicks <= moving.ScheduledDeadlineTicks)
            {
                break;
            }

            Place(_items[parent], index);
            index = parent;
        }

        Place(moving, index);
    }

    private void SiftDown(int index)
    {
        SessionEntry moving = _items[index];
        while (true)
        {
            int child = (2 * index) + 1;
            if (child >= Count)
            {
                break;
            }

            if (child + 1 < Count && _items[child + 1].ScheduledDeadlineTicks < _items[child].ScheduledDeadlineTicks)
            {
                child++;
            }

            if (_items[child].ScheduledDeadlineTicks >= moving.ScheduledDeadlineTicks)
            {
                break;
            }

            Place(_items[child], index);
            index = child;
        }

        Place(moving, index);
    }

    private void Place(SessionEntry entry, int index)
    {
        _items[index] = entry;
        entry.HeapIndex = index;
    }
}
