using NodaTime;

namespace Limps.Sessions;

/// <summary>
/// An <see cref="IExpiryLedger"/> in process memory, bounded twice: by <see cref="LimpsSessionsOptions.LedgerRetention"/>
/// (a tombstone is answered for exactly that long after it expired) and by
/// <see cref="LimpsSessionsOptions.MaxLedgerEntries"/> (past it, the oldest recorded go first).
/// </summary>
/// <remarks>
/// Tombstones are stored compactly (the 128 bits of a standard id instead of its string, instants as ticks, one
/// shared instance per reason code and per owner key), about 100 bytes each. Operations take one short lock; a lookup of an unknown id
/// is a single hash probe and never adds anything.
/// </remarks>
public sealed class InMemoryExpiryLedger : IExpiryLedger
{
    private const int MaxInternedOwners = 4_096;

    private readonly Dictionary<LedgerKey, StoredTombstone> _byId = [];
    private readonly Queue<LedgerKey> _insertionOrder = new();
    private readonly Dictionary<string, ExpiryReason> _reasons = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _owners = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly IClock _clock;
    private readonly long _retentionTicks;
    private readonly int _capacity;

    /// <summary>Creates a ledger.</summary>
    /// <param name="options">Retention and capacity; validated here.</param>
    /// <param name="clock">The clock that decides when a tombstone is past retention.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are not valid.</exception>
    public InMemoryExpiryLedger(LimpsSessionsOptions options, IClock clock)
    {
        LimpsSessionsOptionsValidator.ThrowIfInvalid(options);
        ArgumentNullException.ThrowIfNull(clock);
        _clock = clock;
        _retentionTicks = options.LedgerRetention.Ticks;
        _capacity = options.MaxLedgerEntries;
    }

    /// <summary>Gets the number of tombstones held (some may be past retention until the next prune).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _byId.Count;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> RecordAsync(ExpiredSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        long now = NowTicks();
        long expiredAt = session.ExpiredAt.ToUnixTimeTicks();
        if (IsPastRetention(expiredAt, now))
        {
            return new ValueTask<bool>(false);
        }

        LedgerKey key = LedgerKey.From(session.Id);
        lock (_lock)
        {
            var stored = new StoredTombstone(
                Intern(session.Reason), expiredAt, session.LastActiveAt.ToUnixTimeTicks(), InternOwner(session.Owner));

            // An id recorded again (a later session reused it) replaces its tombstone in place and keeps its place
            // in the eviction order, so the queue never holds an id twice.
            if (_byId.TryAdd(key, stored))
            {
                _insertionOrder.Enqueue(key);
            }
            else
            {
                _byId[key] = stored;
            }

            DropFromHead(now);
        }

        return new ValueTask<bool>(true);
    }

    /// <inheritdoc />
    public ValueTask<ExpiredSession?> FindAsync(SessionId id, CancellationToken cancellationToken = default)
    {
        if (id.IsEmpty)
        {
            return new ValueTask<ExpiredSession?>((ExpiredSession?)null);
        }

        LedgerKey key = LedgerKey.From(id);
        StoredTombstone stored;
        lock (_lock)
        {
            if (!_byId.TryGetValue(key, out stored))
            {
                return new ValueTask<ExpiredSession?>((ExpiredSession?)null);
            }
        }

        return IsPastRetention(stored.ExpiredAtTicks, NowTicks())
            ? new ValueTask<ExpiredSession?>((ExpiredSession?)null)
            : new ValueTask<ExpiredSession?>(new ExpiredSession(
                id,
                stored.Reason,
                Instant.FromUnixTimeTicks(stored.ExpiredAtTicks),
                Instant.FromUnixTimeTicks(stored.LastActiveTicks),
                stored.Owner));
    }

    /// <inheritdoc />
    public ValueTask<int> PruneAsync(CancellationToken cancellationToken = default)
    {
        long now = NowTicks();
        lock (_lock)
        {
            return new ValueTask<int>(DropFromHead(now));
        }
    }

    /// <inheritdoc />
    public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) => new(Count);

    private long NowTicks() => _clock.GetCurrentInstant().ToUnixTimeTicks();

    private bool IsPastRetention(long expiredAtTicks, long nowTicks) => nowTicks - expiredAtTicks >= _retentionTicks;

    // One instance per code, so a million tombstones of a user's reason do not hold a million copies of it.
    private ExpiryReason Intern(ExpiryReason reason)
    {
        if (_reasons.TryGetValue(reason.Code, out ExpiryReason? known))
        {
            return known;
        }

        _reasons[reason.Code] = reason;
        return reason;
    }

    // Owner keys are few and repeated (one per user), but each session usually brings its own copy of the string: keep
    // one shared copy per owner, so a user's thousand tombstones hold one string. The table is cleared when it grows
    // past a bound, so a flood of distinct owners costs no more than storing each tombstone's own string.
    private string? InternOwner(string? owner)
    {
        if (owner is null)
        {
            return null;
        }

        if (_owners.TryGetValue(owner, out string? shared))
        {
            return shared;
        }

        if (_owners.Count >= MaxInternedOwners)
        {
            _owners.Clear();
        }

        _owners[owner] = owner;
        return owner;
    }

    // Drops from the oldest end while over capacity or past retention. Tombstones are queued in the order they were
    // first recorded, which is close to the order they expired; one behind a younger head is still answered exactly
    // (FindAsync checks retention itself) and is dropped once it reaches the head.
    private int DropFromHead(long now)
    {
        int dropped = 0;
        while (_insertionOrder.TryPeek(out LedgerKey oldest)
               && (_byId.Count > _capacity || IsPastRetention(_byId[oldest].ExpiredAtTicks, now)))
        {
            _insertionOrder.Dequeue();
            _byId.Remove(oldest);
            dropped++;
        }

        return dropped;
    }

    private readonly record struct StoredTombstone(ExpiryReason Reason, long ExpiredAtTicks, long LastActiveTicks, string? Owner);
}
