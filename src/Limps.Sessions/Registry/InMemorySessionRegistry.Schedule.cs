namespace Limps.Sessions;

// The deadline schedule and the sweep: a min-heap of deadlines that touches never update, re-checked lazily, so a
// sweep costs in proportion to the sessions that are due.
public sealed partial class InMemorySessionRegistry
{
    /// <inheritdoc />
    public async ValueTask<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        long now = NowTicks();
        List<(SessionEntry Entry, long Deadline)>? due = null;
        lock (_heapLock)
        {
            while (_heap.TryPopDue(now, out SessionEntry entry, out long deadline))
            {
                // Sessions that ended some other way are simply dropped from the schedule here.
                if (!SessionEntry.IsEnded(Volatile.Read(ref entry.State)))
                {
                    (due ??= []).Add((entry, deadline));
                }
            }
        }

        int ended = 0;
        int next = 0;
        try
        {
            for (; next < (due?.Count ?? 0); next++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                SessionEntry entry = due![next].Entry;
                if (TryExpire(entry, now, out ValueTask pending, out long nextCheck))
                {
                    ended++;
                    await pending.ConfigureAwait(false);
                }
                else if (nextCheck != long.MaxValue)
                {
                    Reschedule(entry, nextCheck);
                }
            }
        }
        finally
        {
            // Popped entries this sweep did not get to (it was cancelled or a store failed) go back on the heap at
            // their old deadline; otherwise they would never be swept again.
            for (; next < (due?.Count ?? 0); next++)
            {
                Reschedule(due![next].Entry, due[next].Deadline);
            }
        }

        int pruned = await _ledger.PruneAsync(cancellationToken).ConfigureAwait(false);
        _telemetry.SweepCompleted(ended, pruned);
        return ended;
    }

    // When the session becomes due (registry ticks), ignoring nothing: a leased session is never due.
    private long DueAt(SessionEntry entry, long state, out ExpiryReason reason, out long expiredAt)
    {
        reason = ExpiryReason.Timeout;
        expiredAt = long.MaxValue;
        if (SessionEntry.Leases(state) > 0)
        {
            return long.MaxValue;
        }

        long lastActive = LastActiveTicks(state);
        if (_idleTicks > 0)
        {
            expiredAt = lastActive + _idleTicks;
        }

        if (_lifetimeTicks > 0)
        {
            long lifetimeEnd = entry.CreatedAtTicks + _lifetimeTicks;
            if (lifetimeEnd < expiredAt)
            {
                reason = ExpiryReason.Lifetime;

                // A session kept busy past its lifetime ends when its last request does.
                expiredAt = Math.Max(lifetimeEnd, lastActive);
            }
        }

        return expiredAt;
    }

    // Ends the entry when it is due. Otherwise says when to look at it again (long.MaxValue: never).
    private bool TryExpire(SessionEntry entry, long now, out ValueTask pending, out long nextCheck)
    {
        pending = default;
        nextCheck = long.MaxValue;
        while (true)
        {
            long state = Volatile.Read(ref entry.State);
            if (SessionEntry.IsEnded(state))
            {
                return false;
            }

            long deadline = DueAt(entry, state, out ExpiryReason reason, out long expiredAt);
            if (now < deadline)
            {
                nextCheck = deadline == long.MaxValue && SessionEntry.Leases(state) > 0
                    ? now + _recheckLeasedTicks
                    : deadline;
                return false;
            }

            if (TryClaimEnd(entry, state))
            {
                pending = CompleteEnd(entry, reason, expiredAt, state);
                return true;
            }
        }
    }

    private void Reschedule(SessionEntry entry, long deadlineTicks)
    {
        lock (_heapLock)
        {
            // Only sessions this sweep popped come here, so none is on the heap twice.
            if (!SessionEntry.IsEnded(Volatile.Read(ref entry.State)))
            {
                _heap.Push(entry, deadlineTicks);
            }
        }
    }

    // Sessions ended by a DELETE or a lookup stay on the heap until their deadline pops them. Under a flood of short
    // sessions that would hold memory for a whole idle timeout, so once ended ones outnumber live ones the heap is
    // compacted: O(n) after at least n/2 ends, so O(1) per end.
    private void CompactScheduleIfMostlyEnded(int live)
    {
        if (_heap.Count <= (2 * live) + 1024)
        {
            return;
        }

        lock (_heapLock)
        {
            if (_heap.Count > (2 * Volatile.Read(ref _count)) + 1024)
            {
                _heap.RemoveEnded();
            }
        }
    }
}
