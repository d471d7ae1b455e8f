namespace Limps.Sessions;

// Creating sessions: reserving a slot under MaxSessions, ending an overdue holder of a reused id, registering and
// scheduling the new entry.
public sealed partial class InMemorySessionRegistry
{
    /// <inheritdoc />
    public ValueTask<SessionInfo> CreateAsync(
        SessionId? id = null,
        string? owner = null,
        IReadOnlyDictionary<string, string>? metadata = null,
        CancellationToken cancellationToken = default)
    {
        SessionId sessionId = id ?? SessionId.New();
        if (sessionId.IsEmpty)
        {
            throw new ArgumentException("The session id must not be empty.", nameof(id));
        }

        if (id.HasValue && _sessions.ContainsKey(sessionId.ToString()))
        {
            return CreateOverOverdueAsync(sessionId, owner, metadata, cancellationToken);
        }

        return TryReserveSlot()
            ? new ValueTask<SessionInfo>(Register(sessionId, owner, metadata))
            : CreateAfterSweepAsync(sessionId, owner, metadata, cancellationToken);
    }

    private bool TryReserveSlot()
    {
        int current = Volatile.Read(ref _count);
        while (current < _maxSessions)
        {
            int seen = Interlocked.CompareExchange(ref _count, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    // An id may be reused once its session has ended; a session past its deadline has ended even if nothing
    // noticed yet, so end it first. A session that is still live keeps its id.
    private async ValueTask<SessionInfo> CreateOverOverdueAsync(
        SessionId id,
        string? owner,
        IReadOnlyDictionary<string, string>? metadata,
        CancellationToken cancellationToken)
    {
        await LookupAsync(id, cancellationToken).ConfigureAwait(false);
        return TryReserveSlot()
            ? Register(id, owner, metadata)
            : await CreateAfterSweepAsync(id, owner, metadata, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<SessionInfo> CreateAfterSweepAsync(
        SessionId id,
        string? owner,
        IReadOnlyDictionary<string, string>? metadata,
        CancellationToken cancellationToken)
    {
        // Overdue sessions still count until something ends them; end them before refusing.
        await SweepAsync(cancellationToken).ConfigureAwait(false);
        SpinWait spinner = default;
        while (!TryReserveSlot())
        {
            // A slot that another thread is freeing right now counts as free: wait the few instructions it takes.
            if (Volatile.Read(ref _endsInFlight) == 0 || spinner.Count >= 100)
            {
                _telemetry.CapacityReached(_maxSessions);
                throw new SessionCapacityExceededException(_maxSessions);
            }

            spinner.SpinOnce();
        }

        return Register(id, owner, metadata);
    }

    private SessionInfo Register(SessionId id, string? owner, IReadOnlyDictionary<string, string>? metadata)
    {
        long createdTicks = NowTicks();
        SessionExtras? extras = SessionExtras.For(owner, metadata);
        var entry = new SessionEntry(id, createdTicks, extras)
        {
            State = ToMicrosRoundedUp(createdTicks),
        };

        string key = id.ToString();
        while (!_sessions.TryAdd(key, entry))
        {
            if (!_sessions.TryGetValue(key, out SessionEntry? existing))
            {
                continue;
            }

            if (!SessionEntry.IsEnded(Volatile.Read(ref existing.State)))
            {
                Interlocked.Decrement(ref _count);
                throw new InvalidOperationException($"A live session with id {id.Masked} already exists.");
            }

            // The previous session with this id has ended and is on its way out: take its place. Its own removal
            // only removes it, never a successor.
            if (_sessions.TryUpdate(key, entry, existing))
            {
                break;
            }
        }

        long deadline = DueAt(entry, entry.State, out _, out _);
        if (deadline != long.MaxValue)
        {
            lock (_heapLock)
            {
                if (!SessionEntry.IsEnded(Volatile.Read(ref entry.State)))
                {
                    _heap.Push(entry, deadline);
                }
            }
        }

        SessionInfo info = Snapshot(entry, entry.State, extras);
        _telemetry.SessionStarted(info);
        return info;
    }
}
