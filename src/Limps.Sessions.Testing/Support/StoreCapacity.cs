namespace Limps.Sessions.Testing;

/// <summary>
/// How a store enforces its capacities (<see cref="LimpsSessionsOptions.MaxSessions"/>,
/// <see cref="LimpsSessionsOptions.MaxLedgerEntries"/>, <see cref="HandleKindOptions.MaxHandles"/>): exactly, or per
/// partition. The contract suites read it from their <c>Capacity</c> property and assert the capacity tests accordingly.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Exact"/> (the in-memory stores, the Redis store with one shard): a capacity of <i>n</i> admits exactly
/// <i>n</i>, refuses the next one, and a full ledger drops its oldest recorded tombstone first.
/// </para>
/// <para>
/// <see cref="Partitioned"/> (the Redis store with several shards, or any store whose atomic operations see one
/// partition of the data): every id belongs to one of <i>p</i> partitions, and each partition enforces its share of a
/// capacity <i>n</i>, <c>ceil(n / p)</c>, exactly: it admits up to its share, refuses past it whatever the other
/// partitions hold, and its ledger drops the oldest tombstone of that partition first. The total therefore never
/// exceeds <i>n</i> when <i>n</i> is a multiple of <i>p</i>, and refusals may start before the total is reached (as soon
/// as one partition is full). The suites use capacities that are multiples of <see cref="Partitions"/>, and fill a
/// partition by choosing ids that land in it (<see cref="NewSessionIdIn"/>). Exact is the special case of one partition.
/// </para>
/// </remarks>
public sealed class StoreCapacity
{
    private readonly Func<string, int> _partitionOf;

    private StoreCapacity(int partitions, Func<string, int> partitionOf)
    {
        Partitions = partitions;
        _partitionOf = partitionOf;
    }

    /// <summary>Gets the description of a store that enforces every capacity exactly, in total (one partition).</summary>
    public static StoreCapacity Exact { get; } = new(1, static _ => 0);

    /// <summary>Gets how many partitions enforce the capacities; 1 for an exact store.</summary>
    public int Partitions { get; }

    /// <summary>Gets a value indicating whether the store enforces every capacity exactly, in total.</summary>
    public bool IsExact => Partitions == 1;

    /// <summary>Describes a store whose capacities are enforced per partition, each holding its share (the shares add up to the capacity).</summary>
    /// <param name="partitions">How many partitions (1 is the same as <see cref="Exact"/>).</param>
    /// <param name="partitionOf">
    /// The partition (0 to <paramref name="partitions"/> − 1) of an id: a session id's text, or a handle. It must be the
    /// store's own placement, stable for a given id.
    /// </param>
    /// <returns>The description.</returns>
    public static StoreCapacity Partitioned(int partitions, Func<string, int> partitionOf)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        ArgumentNullException.ThrowIfNull(partitionOf);
        return partitions == 1 ? Exact : new StoreCapacity(partitions, partitionOf);
    }

    /// <summary>The partition of an id.</summary>
    /// <param name="id">A session id's text, or a handle.</param>
    /// <returns>The partition, from 0 to <see cref="Partitions"/> − 1.</returns>
    public int PartitionOf(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        int partition = _partitionOf(id);
        if (partition < 0 || partition >= Partitions)
        {
            throw new InvalidOperationException(
                $"The partition function answered {partition} for a store of {Partitions} partitions.");
        }

        return partition;
    }

    /// <summary>The capacity to configure so that every partition's share is <paramref name="share"/>.</summary>
    /// <param name="share">What one partition should hold.</param>
    /// <returns><paramref name="share"/> times <see cref="Partitions"/>.</returns>
    public int TotalFor(int share) => checked(share * Partitions);

    /// <summary>
    /// The largest share of a capacity: the capacity divided by <see cref="Partitions"/>, rounded up. With a capacity that
    /// is not a multiple of <see cref="Partitions"/>, the other partitions hold one less, so the shares add up to it.
    /// </summary>
    /// <param name="total">The configured capacity.</param>
    /// <returns>The share.</returns>
    public int ShareOf(int total) => (int)(((long)total + Partitions - 1) / Partitions);

    /// <summary>A new random session id that lands in a given partition.</summary>
    /// <param name="partition">The partition, from 0 to <see cref="Partitions"/> − 1.</param>
    /// <returns>The id (about <see cref="Partitions"/> ids are drawn to find one).</returns>
    public SessionId NewSessionIdIn(int partition)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(partition, Partitions);
        while (true)
        {
            SessionId id = SessionId.New();
            if (PartitionOf(id.ToString()) == partition)
            {
                return id;
            }
        }
    }
}
