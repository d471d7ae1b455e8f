using System.Collections.Concurrent;
using NodaTime;

namespace Limps.Sessions;

/// <summary>
/// An <see cref="IExpiryLedger"/> in process memory, bounded twice: by <see cref="LimpsSessionsOptions.LedgerRetention"/>
/// (a tombstone is answered for exactly that long after it expired) and by
/// <see cref="LimpsSessionsOptions.MaxLedgerEntries"/> (past it, the oldest recorded go first).
/// </summary>
/// <remarks>
/// Lookups read a concurrent dictionary without locking, so a flood of unknown ids cannot contend with
/// writers; writes take a short lock that keeps the dictionary and the insertion-order queue in step.
/// </remarks>
public sealed class InMemoryExpiryLedger : IExpiryLedger
{
    private readonly ConcurrentDictionary<string, ExpiredSession> _byId = new(StringComparer.Ordinal);
    private readonly Queue<ExpiredSession> _insertionOrder = new();
    private readonly Lock _writeLock = new();
    private readonly IClock _clock;
    private readonly Duration _retention;
    private readonly int _capacity;
    private int _count;

    /// <summary>Creates a ledger.</summary>
    /// <param name="options">Retention and capacity; validated here.</param>
    /// <param name="clock">The clock that decides when a tombstone is past retention.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are not valid.</exception>
    public InMemoryExpiryLedger(LimpsSessionsOptions options, IClock clock)
    {
        LimpsSessionsOptionsValidator.ThrowIfInvalid(options);
        ArgumentNullException.ThrowIfNull(clock);
        _clock = clock;
        _retention = Duration.FromTimeSpan(options.LedgerRetention);
        _capacity = options.MaxLedgerEntries;
    }

    /// <summary>Gets the number of tombstones held.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <inheritdoc />
    public ValueTask<bool> RecordAsync(ExpiredSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        Instant now = _clock.GetCurrentInstant();
        if (IsPastRetention(session, now))
        {
            return new ValueTask<bool>(false);
        }

        string key = session.Id.ToString();
        lock (_writeLock)
        {
            // When the id was reused by a later session the newer tombstone wins; the older one stays queued
            // and is skipped when it reaches the head.
            if (!_byId.ContainsKey(key))
            {
                _count++;
            }

            _byId[key] = session;

            _insertionOrder.Enqueue(session);
            DropFromHead(now);
        }

        return new ValueTask<bool>(true);
    }

    /// <inheritdoc />
    public ValueTask<ExpiredSession?> FindAsync(SessionId id, CancellationToken cancellationToken = default)
    {
        if (!id.IsEmpty
            && _byId.TryGetValue(id.ToString(), out ExpiredSession? found)
            && !IsPastRetention(found, _clock.GetCurrentInstant()))
        {
            return new ValueTask<ExpiredSession?>(found);
        }

        return new ValueTask<ExpiredSession?>((ExpiredSession?)null);
    }

    /// <inheritdoc />
    public ValueTask<int> PruneAsync(CancellationToken cancellationToken = default)
    {
        lock (_writeLock)
        {
            return new ValueTask<int>(DropFromHead(_clock.GetCurrentInstant()));
        }
    }

    /// <inheritdoc />
    public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) => new(Count);

    private bool IsPastRetention(ExpiredSession session, Instant now) => now >= session.ExpiredAt + _retention;

    // Drops from the oldest end while over capacity or past retention. Tombstones are queued in the order they
    // were recorded, which is close to the order they expired; one recorded late behind a younger head is still
    // answered exactly (FindAsync checks retention itself) and is dropped once it reaches the head.
    private int DropFromHead(Instant now)
    {
        int dropped = 0;
        while (_insertionOrder.TryPeek(out ExpiredSession? oldest)
               && (_count > _capacity || IsPastRetention(oldest, now) || !IsCurrent(oldest)))
        {
            _insertionOrder.Dequeue();
            if (IsCurrent(oldest))
            {
                _byId.TryRemove(oldest.Id.ToString(), out _);
                _count--;
                dropped++;
            }
        }

        return dropped;
    }

    private bool IsCurrent(ExpiredSession session) =>
        _byId.TryGetValue(session.Id.ToString(), out ExpiredSession? current) && ReferenceEquals(current, session);
}
