using System.Collections.Concurrent;
using System.Globalization;
using NodaTime;
using NodaTime.Testing;

namespace Limps.Sessions.Benchmarks;

/// <summary>
/// 3 and 4. Memory measured from the GC (managed heap after full, compacting collections): bytes per live session and
/// per tombstone at 1,000,000 of each, side by side with a plain concurrent dictionary holding the same ids; and floods
/// that show the heap stays flat at <c>MaxSessions</c> and <c>MaxLedgerEntries</c>. The same for handles: bytes per live
/// handle, state excluded (every handle shares one state object), with and without an owner, beside a concurrent
/// dictionary of the same handles to their owner and state; and a flood of handles at <c>MaxHandles</c> and the kind's
/// ledger capacity.
/// </summary>
internal static class MemoryReport
{
    public static IReadOnlyList<ResultRow> Run(int count, int floodSessions, TextWriter log)
    {
        var rows = new List<ResultRow>();
        var clock = new FakeClock(Instant.FromUtc(2026, 2, 11, 10, 0));

        double perSession = BytesPerItem(count, () =>
        {
            var registry = new InMemorySessionRegistry(new LimpsSessionsOptions { MaxSessions = count }, clock);
            for (int i = 0; i < count; i++)
            {
                registry.CreateAsync(SessionId.New()).AsTask().GetAwaiter().GetResult();
            }

            return registry;
        });
        double perDictionaryEntry = BytesPerItem(count, () =>
        {
            var dictionary = new ConcurrentDictionary<string, long>();
            for (int i = 0; i < count; i++)
            {
                dictionary[SessionId.New().ToString()] = i;
            }

            return dictionary;
        });
        rows.Add(new ResultRow($"memory per live session ({count:N0}), bytes", perSession, perDictionaryEntry, "ConcurrentDictionary<string,long>", "bytes"));

        double perTombstone = BytesPerItem(count, () =>
        {
            var ledger = new InMemoryExpiryLedger(new LimpsSessionsOptions { MaxLedgerEntries = count }, clock);
            Instant now = clock.GetCurrentInstant();
            for (int i = 0; i < count; i++)
            {
                ledger.RecordAsync(new ExpiredSession(SessionId.New(), ExpiryReason.Deleted, now, now)).AsTask().GetAwaiter().GetResult();
            }

            return ledger;
        });
        double perNaiveTombstone = BytesPerItem(count, () =>
        {
            var dictionary = new ConcurrentDictionary<string, ExpiredSession>();
            Instant now = clock.GetCurrentInstant();
            for (int i = 0; i < count; i++)
            {
                SessionId id = SessionId.New();
                dictionary[id.ToString()] = new ExpiredSession(id, ExpiryReason.Deleted, now, now);
            }

            return dictionary;
        });
        rows.Add(new ResultRow($"memory per tombstone ({count:N0}), bytes", perTombstone, perNaiveTombstone, "ConcurrentDictionary<string,ExpiredSession>", "bytes"));

        rows.Add(Flood(floodSessions, clock, log));
        rows.Add(UnknownIdFlood(floodSessions, clock, log));
        rows.Add(PerHandle(count, owners: 0, clock));
        rows.Add(PerHandle(count, owners: count / HandlesPerOwner, clock));
        rows.Add(HandleFlood(floodSessions / 2, clock, log));
        return rows;
    }

    private const int HandlesPerOwner = 1_000;

    private static HandleKindOptions Baskets(int maxHandles) => new()
    {
        Name = "basket",
        Prefix = "bsk_",
        CreateToolName = "create_basket",
        MaxHandles = maxHandles,
        MaxHandlesPerOwner = HandlesPerOwner,
    };

    // Bytes per live handle, state excluded: every handle shares one state object. With owners, each owner holds
    // HandlesPerOwner handles (the default per-owner cap); the owner strings exist once, in the store and the baseline alike.
    private static ResultRow PerHandle(int count, int owners, FakeClock clock)
    {
        object state = new();
        string[] ownerNames = [.. Enumerable.Range(0, owners).Select(i => $"user-{i:D7}")];
        string? OwnerOf(int i) => owners == 0 ? null : ownerNames[i % owners];

        double perHandle = BytesPerItem(count, () =>
        {
            var store = new InMemoryHandleStore<object>(Baskets(count), clock);
            for (int i = 0; i < count; i++)
            {
                store.CreateAsync(state, OwnerOf(i)).AsTask().GetAwaiter().GetResult();
            }

            return store;
        });
        var format = new HandleFormat("bsk_");
        double perDictionaryEntry = BytesPerItem(count, () =>
        {
            var dictionary = new ConcurrentDictionary<string, (string? Owner, object State)>();
            for (int i = 0; i < count; i++)
            {
                dictionary[format.NewHandle().ToString()] = (OwnerOf(i), state);
            }

            return dictionary;
        });
        GC.KeepAlive(ownerNames);
        string which = owners == 0 ? "no owner" : string.Create(CultureInfo.InvariantCulture, $"{owners:N0} owners");
        return new ResultRow(
            string.Create(CultureInfo.InvariantCulture, $"memory per live handle ({count:N0}, {which}), bytes"),
            perHandle,
            perDictionaryEntry,
            "ConcurrentDictionary<string,(owner,state)>",
            "bytes");
    }

    // Creates and ends far more handles than MaxHandles and the kind's ledger capacity; the heap must level off there.
    private static ResultRow HandleFlood(int total, FakeClock clock, TextWriter log)
    {
        HandleKindOptions options = Baskets(10_000);
        options.MaxLedgerEntries = 100_000;
        using var store = new InMemoryHandleStore<object>(options, clock);
        object state = new();
        var live = new Queue<string>();
        long atCaps = 0;
        for (int i = 1; i <= total; i++)
        {
            live.Enqueue(store.CreateAsync(state, i % 3 == 0 ? null : $"user-{i % 100}").AsTask().GetAwaiter().GetResult());
            if (live.Count == options.MaxHandles)
            {
                string handle = live.Dequeue();
                store.EndAsync(handle, ExpiryReason.Deleted).AsTask().GetAwaiter().GetResult();
            }

            if (i == options.MaxLedgerEntries * 2)
            {
                atCaps = Heap();
            }
        }

        long atEnd = Heap();
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"handle flood: {total:N0} handles created and ended; heap {atCaps / 1024.0 / 1024:F1} MiB at 2x the ledger cap, {atEnd / 1024.0 / 1024:F1} MiB at the end; {store.CountAsync().AsTask().GetAwaiter().GetResult()} live"));
        GC.KeepAlive(store);
        return new ResultRow(
            string.Create(CultureInfo.InvariantCulture, $"flood of {total:N0} handles: heap at end / heap at 2x caps"),
            atEnd,
            atCaps,
            "heap after 200,000 handles",
            "bytes");
    }

    // Creates and ends far more sessions than both caps; the heap must level off at the caps.
    private static ResultRow Flood(int total, FakeClock clock, TextWriter log)
    {
        var options = new LimpsSessionsOptions { MaxSessions = 10_000, MaxLedgerEntries = 100_000 };
        var registry = new InMemorySessionRegistry(options, clock);
        var live = new Queue<SessionId>();
        long atCaps = 0;
        long atEnd = 0;
        for (int i = 1; i <= total; i++)
        {
            live.Enqueue(registry.CreateAsync().AsTask().GetAwaiter().GetResult().Id);
            if (live.Count == options.MaxSessions)
            {
                registry.EndAsync(live.Dequeue(), ExpiryReason.Deleted).AsTask().GetAwaiter().GetResult();
            }

            if (i == options.MaxLedgerEntries * 2)
            {
                atCaps = Heap();
            }
        }

        atEnd = Heap();
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"flood: {total:N0} sessions created and ended; heap {atCaps / 1024.0 / 1024:F1} MiB at 2x the ledger cap, {atEnd / 1024.0 / 1024:F1} MiB at the end; {registry.Count} live"));
        GC.KeepAlive(registry);
        return new ResultRow($"flood of {total:N0} sessions: heap at end / heap at 2x caps", atEnd, atCaps, "heap after 200,000 sessions", "bytes");
    }

    // Asking for ids nobody issued must not add anything.
    private static ResultRow UnknownIdFlood(int total, FakeClock clock, TextWriter log)
    {
        var registry = new InMemorySessionRegistry(new LimpsSessionsOptions(), clock);
        long before = Heap();
        for (int i = 0; i < total; i++)
        {
            registry.LookupAsync(SessionId.New()).AsTask().GetAwaiter().GetResult();
        }

        long after = Heap();
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"unknown-id flood: {total:N0} lookups; heap {before / 1024.0 / 1024:F1} MiB before, {after / 1024.0 / 1024:F1} MiB after"));
        GC.KeepAlive(registry);
        return new ResultRow($"flood of {total:N0} unknown-id lookups: heap after / before", after, before, "heap before", "bytes");
    }

    private static double BytesPerItem(int count, Func<object> build)
    {
        long before = Heap();
        object built = build();
        long after = Heap();
        GC.KeepAlive(built);
        return (after - before) / (double)count;
    }

    private static long Heap()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
