using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Limps.Sessions;

/// <summary>
/// The registry's index of live sessions by id: a concurrent hash table whose chain links are the
/// <see cref="SessionEntry"/> objects themselves, so a session costs its entry and a bucket slot rather than an entry
/// plus a dictionary node (48 bytes) that only points at it, and a probe follows one pointer fewer.
/// </summary>
/// <remarks>
/// <para>
/// Reads take no lock. Writes (add, replace, remove) take one of a fixed set of striped locks; growing takes them all.
/// A chain is only ever changed by swinging one link, so a reader walking it while an entry is added or removed still
/// reaches every entry that was there before and stays there. Growing re-links the entries in place; a reader that
/// misses while a growth ran (a version number is odd during it and moves on after it) looks again, so a miss is
/// never the result of a growth. A hit needs no such check: an entry whose key matches is the one the id names.
/// </para>
/// <para>
/// The hash is seeded per table from a cryptographic random number generator. Keys are the ids the registry stores:
/// ones it minted, or ones the caller's server minted (the MCP SDK's random ids, or handles), never ids chosen by a
/// remote client, which are only looked up.
/// </para>
/// </remarks>
internal sealed class SessionTable
{
    private const int InitialBuckets = 16;
    private const ulong Prime0 = 0x9E3779B97F4A7C15UL;
    private const ulong Prime1 = 0xBF58476D1CE4E5B9UL;
    private const ulong Prime2 = 0x94D049BB133111EBUL;

    private readonly object[] _locks;
    private readonly int[] _countPerLock;
    private readonly ulong _seed;
    private volatile SessionEntry?[] _buckets = new SessionEntry?[InitialBuckets];

    // Odd while a growth re-links entries; every growth adds two.
    private int _version;

    public SessionTable()
    {
        int stripes = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(Environment.ProcessorCount * 4, 8, 64));
        _locks = new object[stripes];
        for (int i = 0; i < stripes; i++)
        {
            _locks[i] = new object();
        }

        _countPerLock = new int[stripes];
        Span<byte> seed = stackalloc byte[sizeof(ulong)];
        RandomNumberGenerator.Fill(seed);
        _seed = MemoryMarshal.Read<ulong>(seed);
    }

    /// <summary>Gets the number of entries in the table (takes every lock; for tests and diagnostics).</summary>
    public int Count
    {
        get
        {
            int total = 0;
            AcquireAll();
            try
            {
                foreach (int count in _countPerLock)
                {
                    total += count;
                }
            }
            finally
            {
                ReleaseAll();
            }

            return total;
        }
    }

    /// <summary>The hash of an id, as stored in <see cref="SessionEntry.Hash"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int HashOf(string key)
    {
        // Every character counts (callers may register ids that differ in one place only), read four at a time into two
        // independent multiply-rotate lanes so the multiplications overlap, then one final avalanche: a few nanoseconds
        // for a 22-character id, less than the runtime's randomized string hash.
        ReadOnlySpan<char> chars = key.AsSpan();
        ReadOnlySpan<ulong> words = MemoryMarshal.Cast<char, ulong>(chars);
        ulong a = _seed;
        ulong b = _seed ^ ((ulong)chars.Length * Prime0);
        int i = 0;
        for (; i + 1 < words.Length; i += 2)
        {
            a = BitOperations.RotateLeft((a ^ words[i]) * Prime1, 29);
            b = BitOperations.RotateLeft((b ^ words[i + 1]) * Prime2, 31);
        }

        if (i < words.Length)
        {
            a = BitOperations.RotateLeft((a ^ words[i]) * Prime1, 29);
        }

        for (int c = words.Length * 4; c < chars.Length; c++)
        {
            b = BitOperations.RotateLeft((b ^ chars[c]) * Prime2, 31);
        }

        ulong hash = (a ^ BitOperations.RotateLeft(b, 17)) * Prime0;
        hash ^= hash >> 32;
        return (int)hash;
    }

    /// <summary>Finds the entry stored under <paramref name="key"/>, without locking.</summary>
    public SessionEntry? Find(string key)
    {
        int hash = HashOf(key);
        SessionEntry?[] buckets = _buckets;
        for (SessionEntry? entry = Volatile.Read(ref buckets[hash & (buckets.Length - 1)]); entry is not null; entry = entry.Next)
        {
            if (entry.Hash == hash && IsKey(entry, key))
            {
                return entry;
            }
        }

        return FindAfterMiss(key, hash);
    }

    /// <summary>
    /// Adds <paramref name="entry"/>, taking the place of an ended entry with the same key. Returns the live entry that
    /// keeps the key instead, if there is one (then nothing changed).
    /// </summary>
    public SessionEntry? AddOrReplaceEnded(SessionEntry entry)
    {
        while (true)
        {
            SessionEntry?[] buckets = _buckets;
            int index = entry.Hash & (buckets.Length - 1);
            int stripe = index & (_locks.Length - 1);
            bool grow = false;
            lock (_locks[stripe])
            {
                if (buckets != _buckets)
                {
                    continue;
                }

                SessionEntry? previous = null;
                for (SessionEntry? current = buckets[index]; current is not null; previous = current, current = current.Next)
                {
                    if (current.Hash != entry.Hash || !string.Equals(current.Key, entry.Key, StringComparison.Ordinal))
                    {
                        continue;
                    }

                    if (!SessionEntry.IsEnded(Volatile.Read(ref current.State)))
                    {
                        return current;
                    }

                    // The previous session with this id has ended and is on its way out: take its place. Its own
                    // removal then finds nothing to remove.
                    entry.Next = current.Next;
                    Link(buckets, index, previous, entry);
                    return null;
                }

                entry.Next = buckets[index];
                Volatile.Write(ref buckets[index], entry);
                grow = ++_countPerLock[stripe] > buckets.Length / _locks.Length;
            }

            if (grow)
            {
                Grow(buckets);
            }

            return null;
        }
    }

    /// <summary>Removes exactly this entry, if it is still in the table.</summary>
    public void Remove(SessionEntry entry)
    {
        while (true)
        {
            SessionEntry?[] buckets = _buckets;
            int index = entry.Hash & (buckets.Length - 1);
            int stripe = index & (_locks.Length - 1);
            lock (_locks[stripe])
            {
                if (buckets != _buckets)
                {
                    continue;
                }

                SessionEntry? previous = null;
                for (SessionEntry? current = buckets[index]; current is not null; previous = current, current = current.Next)
                {
                    if (ReferenceEquals(current, entry))
                    {
                        // The removed entry keeps its link, so a reader standing on it walks on to the rest of the chain.
                        Link(buckets, index, previous, entry.Next);
                        _countPerLock[stripe]--;
                        return;
                    }
                }

                return;
            }
        }
    }

    /// <summary>Collects the entries that <paramref name="select"/> accepts; an entry present throughout is seen once.</summary>
    public List<SessionEntry> Collect<TArg>(Func<SessionEntry, TArg, bool> select, TArg arg)
    {
        var found = new List<SessionEntry>();
        while (true)
        {
            int version = Volatile.Read(ref _version);
            if ((version & 1) == 0)
            {
                SessionEntry?[] buckets = _buckets;
                for (int i = 0; i < buckets.Length; i++)
                {
                    for (SessionEntry? entry = Volatile.Read(ref buckets[i]); entry is not null; entry = entry.Next)
                    {
                        if (select(entry, arg))
                        {
                            found.Add(entry);
                        }
                    }
                }

                if (Volatile.Read(ref _version) == version)
                {
                    return found;
                }

                found.Clear();
            }

            Thread.Yield();
        }
    }

    // The same string instance (the common case for the id a caller got from this registry) needs no comparison.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsKey(SessionEntry entry, string key)
    {
        string stored = entry.Key;
        return ReferenceEquals(stored, key) || string.Equals(stored, key, StringComparison.Ordinal);
    }

    private static void Link(SessionEntry?[] buckets, int index, SessionEntry? previous, SessionEntry? next)
    {
        if (previous is null)
        {
            Volatile.Write(ref buckets[index], next);
        }
        else
        {
            previous.Next = next;
        }
    }

    // A miss is final only if no growth ran while it was looked for; otherwise the entry may have been re-linked
    // away from under the reader, so look again (waiting out a growth in progress).
    private SessionEntry? FindAfterMiss(string key, int hash)
    {
        SpinWait spinner = default;
        while (true)
        {
            int version = Volatile.Read(ref _version);
            if ((version & 1) == 0)
            {
                SessionEntry?[] buckets = _buckets;
                for (SessionEntry? entry = Volatile.Read(ref buckets[hash & (buckets.Length - 1)]); entry is not null; entry = entry.Next)
                {
                    if (entry.Hash == hash && IsKey(entry, key))
                    {
                        return entry;
                    }
                }

                if (Volatile.Read(ref _version) == version)
                {
                    return null;
                }
            }

            spinner.SpinOnce();
        }
    }

    // Doubles the buckets under every lock. The entries are re-linked in place, which readers notice through the
    // version (see FindAfterMiss): each re-linked entry points only at entries re-linked before it, so a reader's walk
    // still ends.
    private void Grow(SessionEntry?[] observed)
    {
        AcquireAll();
        try
        {
            if (observed != _buckets)
            {
                return;
            }

            var grown = new SessionEntry?[observed.Length * 2];
            int mask = grown.Length - 1;
            Interlocked.Increment(ref _version);
            for (int i = 0; i < observed.Length; i++)
            {
                SessionEntry? entry = observed[i];
                while (entry is not null)
                {
                    SessionEntry? next = entry.Next;
                    int index = entry.Hash & mask;
                    entry.Next = grown[index];
                    grown[index] = entry;
                    entry = next;
                }
            }

            _buckets = grown;
            Interlocked.Increment(ref _version);
        }
        finally
        {
            ReleaseAll();
        }
    }

    private void AcquireAll()
    {
        foreach (object stripe in _locks)
        {
            Monitor.Enter(stripe);
        }
    }

    private void ReleaseAll()
    {
        for (int i = _locks.Length - 1; i >= 0; i--)
        {
            Monitor.Exit(_locks[i]);
        }
    }
}
