using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>
/// The answer of one lease that waits in a <see cref="RedisRequestLane"/>: the entry of the request script's answer
/// that belongs to it, or the failure of the script that carried it.
/// </summary>
/// <remarks>
/// Continuations run asynchronously: one script answers several requests, and each request's continuation (the rest
/// of its HTTP request) must not run inside the one that completes the next.
/// </remarks>
internal sealed class RedisQueuedLease() : TaskCompletionSource<RedisResult>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    private CancellationTokenRegistration _cancellation;

    /// <summary>Ends the wait when the caller gives up (a call already sent still runs; its lease is released by token).</summary>
    public void CancelWith(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(
                static (state, token) => ((RedisQueuedLease)state!).TrySetCanceled(token), this);
        }
    }

    /// <summary>Gives the lease its answer.</summary>
    public void Answer(RedisResult answer)
    {
        _cancellation.Dispose();
        TrySetResult(answer);
    }

    /// <summary>Fails the lease with what failed the script that carried it.</summary>
    public void Fail(Exception failure)
    {
        _cancellation.Dispose();
        TrySetException(failure);
    }
}
