using NodaTime;

namespace Limps.Sessions;

// Ending sessions: exactly once, first reason wins; the tombstone goes to the ledger before the live entry goes.
public sealed partial class InMemorySessionRegistry
{
    /// <inheritdoc />
    public ValueTask<bool> EndAsync(SessionId id, ExpiryReason reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reason);
        if (id.IsEmpty || _sessions.Find(id.ToString()) is not { } entry)
        {
            return new ValueTask<bool>(false);
        }

        long now = NowTicks();
        while (true)
        {
            long state = Volatile.Read(ref entry.State);
            if (SessionEntry.IsEnded(state))
            {
                return new ValueTask<bool>(false);
            }

            long deadline = DueAt(entry, state, out ExpiryReason dueReason, out long expiredAt);
            bool overdue = now >= deadline;
            if (!TryClaimEnd(entry, state))
            {
                continue;
            }

            // A session already past its deadline has expired for that reason; this call did not end it. An end is
            // never dated before the last activity it records (a request may have landed since the clock was read).
            ValueTask pending = overdue
                ? CompleteEnd(entry, dueReason, expiredAt, state)
                : CompleteEnd(entry, reason, Math.Max(now, LastActiveTicks(state)), state);
            return pending.IsCompletedSuccessfully
                ? new ValueTask<bool>(!overdue)
                : AwaitEnd(pending, !overdue);
        }
    }

    /// <inheritdoc />
    public async ValueTask<int> EndAllAsync(ExpiryReason reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reason);
        int ended = 0;
        foreach (SessionEntry entry in _sessions.Collect(static (_, _) => true, 0))
        {
            if (await EndAsync(entry.Id, reason, cancellationToken).ConfigureAwait(false))
            {
                ended++;
            }
        }

        return ended;
    }

    private static async ValueTask<bool> AwaitEnd(ValueTask pending, bool result)
    {
        await pending.ConfigureAwait(false);
        return result;
    }

    // Sets the ended bit if the state is still the one the caller decided on. The live count drops with the swap, and
    // a marker held across it lets a create refused at capacity tell an end in flight from a full registry.
    private bool TryClaimEnd(SessionEntry entry, long state)
    {
        Interlocked.Increment(ref _slotsInDoubt);
        try
        {
            if (Interlocked.CompareExchange(ref entry.State, state | SessionEntry.EndedBit, state) != state)
            {
                return false;
            }

            Interlocked.Decrement(ref _count);
            return true;
        }
        finally
        {
            Interlocked.Decrement(ref _slotsInDoubt);
        }
    }

    // Runs once per session, on the thread whose swap set the ended bit.
    private ValueTask CompleteEnd(SessionEntry entry, ExpiryReason reason, long expiredAtTicks, long finalState)
    {
        var tombstone = new ExpiredSession(
            entry.Id, reason, ToInstant(expiredAtTicks), ToInstant(LastActiveTicks(finalState)), entry.Owner);
        entry.PublishTombstone(tombstone);

#pragma warning disable CA2012 // Consumed exactly once: checked for synchronous completion, else awaited.
        ValueTask<bool> recorded;
        try
        {
            recorded = _ledger.RecordAsync(tombstone);
        }
        catch
        {
            Forget(entry, tombstone);
            throw;
        }

        if (recorded.IsCompletedSuccessfully)
        {
            Forget(entry, tombstone);
            return default;
        }

        return AwaitRecordThenForget(recorded, entry, tombstone);
#pragma warning restore CA2012
    }

    private async ValueTask AwaitRecordThenForget(ValueTask<bool> recorded, SessionEntry entry, ExpiredSession tombstone)
    {
        try
        {
            await recorded.ConfigureAwait(false);
        }
        finally
        {
            Forget(entry, tombstone);
        }
    }

    // The tombstone is in the ledger before the live entry goes, so a concurrent lookup always finds one or the other.
    private void Forget(SessionEntry entry, ExpiredSession tombstone)
    {
        _sessions.Remove(entry);
        CompactScheduleIfMostlyEnded(Volatile.Read(ref _count));
        _telemetry.SessionEnded(tombstone);
    }
}
