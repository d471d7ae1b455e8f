namespace Limps.Sessions;

// Creating sessions: reserving a slot under MaxSessions, ending an overdue holder of a reused id, registering and
// scheduling the new entry. A create of a given id answers that the id is live before it looks at capacity, as the
// Redis store does.
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
        if (!id.HasValue)
        {
            return TryReserveSlot()
                ? new ValueTask<SessionInfo>(Register(sessionId, extras, payload: null, mayBeLive: false))
                : CreateAfterSweepAsync(sessionId, extras, payload: null, mayBeLive: false, cancellationToken);
        }

        if (_sessions.Find(sessionId.ToString()) is not null)
        {
            return CreateOverOverdueAsync(sessionId, extras, cancellationToken);
        }

        return TryReserveSlotInDoubt()
            ? new ValueTask<SessionInfo>(Register(sessionId, extras, payload: null, mayBeLive: true))
            : CreateAfterSweepAsync(sessionId, extras, payload: null, mayBeLive: true, cancellationToken);
    }

    /// <summary>
    /// Creates a handle: a session with a fresh id, given extras (the owner's, shared by its handles) and the app's
    /// state kept in its entry. The id must be new (handles are minted, never reused).
    /// </summary>
    internal ValueTask<SessionInfo> CreateHandleAsync(
        SessionId id, SessionExtras? extras, object payload, CancellationToken cancellationToken) =>
        TryReserveSlot()
            ? new ValueTask<SessionInfo>(Register(id, extras, payload, mayBeLive: false))
            : CreateAfterSweepAsync(id, extras, payload, mayBeLive: false, cancellationToken);

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

    // A create of a given id reserves its slot before it can know whether the id is live (the table answers that when
    // the entry goes in), and gives the slot back if it is. Between the two, the slot is marked as in doubt, so that a
    // create refused at capacity meanwhile waits for it as for an end in flight instead of answering 503 for a slot
    // that is about to be free. The marker is taken before the reservation: no moment shows the slot taken and unmarked.
    private bool TryReserveSlotInDoubt()
    {
        Interlocked.Increment(ref _slotsInDoubt);
        if (TryReserveSlot())
        {
            return true;
        }

        Interlocked.Decrement(ref _slotsInDoubt);
        return false;
    }

    // An id may be reused once its session has ended; a session past its deadline has ended even if nothing
    // noticed yet, so end it first. A session that is still live keeps its id.
    private async ValueTask<SessionInfo> CreateOverOverdueAsync(
        SessionId id,
        SessionExtras? extras,
        CancellationToken cancellationToken)
    {
        if ((await LookupAsync(id, cancellationToken).ConfigureAwait(false)).IsActive)
        {
            // Live now: refused without taking a slot, which another create may need.
            throw AlreadyLive(id);
        }

        return TryReserveSlotInDoubt()
            ? Register(id, extras, payload: null, mayBeLive: true)
            : await CreateAfterSweepAsync(id, extras, payload: null, mayBeLive: true, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<SessionInfo> CreateAfterSweepAsync(
        SessionId id,
        SessionExtras? extras,
        object? payload,
        bool mayBeLive,
        CancellationToken cancellationToken)
    {
        // Overdue sessions still count until something ends them; end them before refusing.
        await SweepAsync(cancellationToken).ConfigureAwait(false);
        SpinWait spinner = default;
        while (!(mayBeLive ? TryReserveSlotInDoubt() : TryReserveSlot()))
        {
            // A slot that another thread is freeing right now (an end between its marker and its swap, a create that
            // may find its id live) counts as free: wait the few instructions it takes.
            if (Volatile.Read(ref _slotsInDoubt) == 0 || spinner.Count >= 100)
            {
                // A racing create of the same id may have taken it meanwhile: then the id is what refuses this one.
                if (mayBeLive && (await LookupAsync(id, cancellationToken).ConfigureAwait(false)).IsActive)
                {
                    throw AlreadyLive(id);
                }

                _telemetry.CapacityReached(_maxSessions);
                throw new SessionCapacityExceededException(_maxSessions);
            }

            spinner.SpinOnce();
        }

        return Register(id, extras, payload, mayBeLive);
    }

    // Called with a slot reserved; with mayBeLive, also with the slot marked as in doubt (TryReserveSlotInDoubt).
    private SessionInfo Register(SessionId id, SessionExtras? extras, object? payload, bool mayBeLive)
    {
        long createdTicks = NowTicks();
        var entry = new SessionEntry(id, _sessions.HashOf(id.ToString()), createdTicks, extras, payload)
        {
            State = ToMicrosRoundedUp(createdTicks),
        };

        // A previous session with this id that has ended (and is on its way out) gives its place up; a live one keeps it.
        bool taken = _sessions.AddOrReplaceEnded(entry) is not null;
        if (taken)
        {
            Interlocked.Decrement(ref _count);
        }

        if (mayBeLive)
        {
            Interlocked.Decrement(ref _slotsInDoubt);
        }

        if (taken)
        {
            throw AlreadyLive(id);
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

    private static InvalidOperationException AlreadyLive(SessionId id) =>
        new($"A live session with id {id.Masked} already exists.");
}
