using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>
/// Argument arrays of one length for one script, reused across calls on the request path: every request sends one
/// lease and one release, and their arrays were its largest allocation on the Redis side.
/// </summary>
/// <remarks>
/// An array goes back only once Redis has answered the call that carried it (the connection is then done with it);
/// one whose call failed or timed out may still sit in a queue, so it is left to the garbage collector. The pool keeps
/// a few arrays at most; beyond that it allocates.
/// </remarks>
internal sealed class RedisArgumentPool(int length)
{
    private readonly RedisValue[]?[] _slots = new RedisValue[]?[16];

    /// <summary>Gets the length of the arrays this pool hands out.</summary>
    public int Length { get; } = length;

    /// <summary>Takes an array (its contents are whatever the last user left; the caller fills every element).</summary>
    public RedisValue[] Rent()
    {
        RedisValue[]?[] slots = _slots;
        for (int i = 0; i < slots.Length; i++)
        {
            if (Volatile.Read(ref slots[i]) is not null && Interlocked.Exchange(ref slots[i], null) is { } args)
            {
                return args;
            }
        }

        return new RedisValue[Length];
    }

    /// <summary>Gives an array back once Redis has answered the call that carried it.</summary>
    public void Return(RedisValue[] args)
    {
        // What the call carried (ids, tokens, owners) must not stay reachable from the pool.
        Array.Clear(args);
        RedisValue[]?[] slots = _slots;
        for (int i = 0; i < slots.Length; i++)
        {
            if (Volatile.Read(ref slots[i]) is null && Interlocked.CompareExchange(ref slots[i], args, null) is null)
            {
                return;
            }
        }
    }
}
