using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>
/// A caller waiting for its call's entry of a request script (a lease, or a handle's use or state write; a release has
/// none): it is answered, failed with its script, or given up by its caller, whichever comes first, exactly once.
/// </summary>
/// <remarks>
/// One script answers several callers, and each caller's continuation (the rest of its HTTP request) runs where its
/// call completes, so it must not run inside the one that answers the next: all but one are answered through the
/// thread pool (<see cref="AnswerLater"/>). What the answer means is read (<see cref="Complete"/>) only once it has won,
/// so a call that was given up is never also taken as answered.
/// </remarks>
internal abstract class RedisQueuedWaiter : IThreadPoolWorkItem
{
    private CancellationTokenRegistration _cancellation;
    private RedisResult? _answer;
    private int _completed;

    protected RedisQueuedWaiter(SessionId id) => Id = id;

    /// <summary>Gets the session (or handle) the call is about.</summary>
    public SessionId Id { get; }

    /// <summary>Gets whether the call has completed (answered, failed, or given up by its caller).</summary>
    public bool IsCompleted => Volatile.Read(ref _completed) != 0;

    /// <summary>Ends the wait when the caller gives up (a call already sent still runs).</summary>
    public void CancelWith(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(
                static (state, token) => ((RedisQueuedWaiter)state!).Fail(new OperationCanceledException(token)), this);
        }
    }

    /// <summary>Gives the call its answer; its caller carries on on this thread.</summary>
    public void Answer(RedisResult answer)
    {
        _cancellation.Dispose();
        if (TryComplete())
        {
            Complete(answer);
        }
    }

    /// <summary>Gives the call its answer on a thread-pool thread.</summary>
    public void AnswerLater(RedisResult answer)
    {
        _answer = answer;
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    void IThreadPoolWorkItem.Execute() => Answer(_answer!);

    /// <summary>Fails the call with what failed the script that carried it (or its caller giving up).</summary>
    public void Fail(Exception failure)
    {
        _cancellation.Dispose();
        if (TryComplete())
        {
            CompleteWithFailure(failure);
        }
    }

    /// <summary>Reads the call's entry of the script's answer and hands the caller what it means (once, after winning).</summary>
    protected abstract void Complete(RedisResult answer);

    /// <summary>Hands the caller the failure (once, after winning).</summary>
    protected abstract void CompleteWithFailure(Exception failure);

    private bool TryComplete() => Interlocked.Exchange(ref _completed, 1) == 0;
}
