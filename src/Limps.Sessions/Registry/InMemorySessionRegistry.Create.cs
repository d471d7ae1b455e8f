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

        SessionExtras? extras = SessionExtras.For(owner, metadata);
        if (id.HasValue && _sessions.Find(sessionId.ToString()) is not null)
        {
            return CreateOverOverdueAsync(sessionId, extras, cancellationToken);
        }

        return TryReserveSlot()
            ? new ValueTask<SessionInfo>(Register(sessionId, extras, payload: null))
            : CreateAfterSweepAsync(sessionId, extras, payload: null, cancellationToken);
    }

    /// <summary>
    /// Creates a handle: a session with a fresh id, given extras (the owner's, shared by its handles) and the app's
    /// state kept in its entry. The id must be new (handles are minted, never reused).
    /// </summary>
    internal ValueTask<SessionInfo> CreateHandleAsync(
        SessionId id, SessionExtras? extras, object payload, CancellationToken cancellationToken) =>
        TryReserveSlot()
            ? new ValueTask<SessionInfo>(Register(id, extras, payload))
            : CreateAfterSweepAsync(id, extras, payload, cancellationToken);

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
        SessionExtras? extras,
        CancellationToken cancellationToken)
    {
        await LookupAsync(id, cancellationToken).ConfigureAwait(false);
        return TryReserveSlot()
            ? Register(id, extras, payload: null)
            : await CreateAfterSweepAsync(id, extras, payload: null, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<SessionInfo> CreateAfterSweepAsync(
        SessionId id,
        SessionExtras? extras,
        object? payload,
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

        return Register(id, extras, payload);
    }

    private SessionInfo Register(SessionId id, SessionExtras? extras, object? payload)
    {
        long createdTicks = NowTicks();
        var entry = new SessionEntry(id, _sessions.HashOf(id.ToString()), createdTicks, extras, payload)
        {
            State = ToMicrosRoundedUp(createdTicks),
        };

        // A previous session with this id that has ended (and is on its way out) gives its place up; a live one keeps it.
        if (_sessions.AddOrReplaceEnded(entry) is not null)
        {
            Interlocked.Decrement(ref _count);
            throw new InvalidOperationException($"A live session with id {id.Masked} already exists.");
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
