using System.Threading.Tasks.Sources;
using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>
/// A waiting call whose caller awaits a <typeparamref name="TResult"/>: the caller awaits this object itself (a
/// <see cref="ValueTask{TResult}"/> over it, <see cref="Pending"/>), so a request costs no task and no async frame of its
/// own.
/// </summary>
/// <typeparam name="TResult">What the caller gets from its entry of the script's answer.</typeparam>
internal abstract class RedisQueuedResult<TResult> : RedisQueuedWaiter, IValueTaskSource<TResult>
{
    // Not pooled: one per call, awaited once, so its version stays 0. Continuations run where it completes.
    private ManualResetValueTaskSourceCore<TResult> _core;

    protected RedisQueuedResult(SessionId id)
        : base(id)
    {
    }

    /// <summary>Gets what the caller awaits (once).</summary>
    public ValueTask<TResult> Pending => new(this, _core.Version);

    /// <summary>Reads the call's entry of the script's answer.</summary>
    /// <exception cref="Exception">The entry cannot be read (stored data this library did not write); the caller sees it.</exception>
    protected abstract TResult Read(RedisResult answer);

    /// <summary>Answers what the caller throws when the call's script failed or the caller gave up.</summary>
    protected abstract Exception Failed(Exception failure);

    /// <inheritdoc />
    protected sealed override void Complete(RedisResult answer)
    {
        TResult result;
        try
        {
            result = Read(answer);
        }
#pragma warning disable CA1031 // Whatever the answer cannot be read as goes to the caller that awaits it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _core.SetException(ex);
            return;
        }

        _core.SetResult(result);
    }

    /// <inheritdoc />
    protected sealed override void CompleteWithFailure(Exception failure) => _core.SetException(Failed(failure));

    TResult IValueTaskSource<TResult>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<TResult>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<TResult>.OnCompleted(
        Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
