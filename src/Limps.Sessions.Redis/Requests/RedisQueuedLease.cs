using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>
/// The answer of one lease that waits in a <see cref="RedisRequestLane"/>: the entry of the request script's answer
/// that belongs to it, or the failure of the script that carried it.
/// </summary>
/// <remarks>
/// One script answers several requests, and each request's continuation (the rest of its HTTP request) must not run
/// inside the one that answers the next: all but one are answered through the thread pool (<see cref="AnswerLater"/>).
/// </remarks>
internal sealed class RedisQueuedLease : TaskCompletionSource<RedisResult>, IThreadPoolWorkItem
{
    private CancellationTokenRegistration _cancellation;
    private RedisResult? _answer;

    /// <summary>Ends the wait when the caller gives up (a call already sent still runs; its lease is released by token).</summary>
    public void CancelWith(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(
                static (state, token) => ((RedisQueuedLease)state!).TrySetCanceled(token), this);
        }
    }

    /// <summary>Gives the lease its answer; its caller carries on on this thread.</summary>
    public void Answer(RedisResult answer)
    {
        _cancellation.Dispose();
        TrySetResult(answer);
    }

    /// <summary>Gives the lease its answer on a thread-pool thread.</summary>
    public void AnswerLater(RedisResult answer)
    {
        _answer = answer;
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    void IThreadPoolWorkItem.Execute() => Answer(_answer!);

    /// <summary>Fails the lease with what failed the script that carried it.</summary>
    public void Fail(Exception failure)
    {
        _cancellation.Dispose();
        TrySetException(failure);
    }
}
