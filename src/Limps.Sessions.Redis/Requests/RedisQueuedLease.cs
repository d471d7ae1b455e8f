using System.Threading.Tasks.Sources;
using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>
/// One lease that waits in a <see cref="RedisRequestLane"/>, and what its request awaits: the lease read from the
/// request script's entry that belongs to it, or the failure of the script that carried it.
/// </summary>
/// <remarks>
/// <para>The request awaits this object itself (a <see cref="ValueTask{TResult}"/> over it, <see cref="Pending"/>): no
/// task and no async frame of its own per request. It completes exactly once, with whichever comes first of its answer,
/// its script's failure and its request giving up; the answer is read (<see cref="IRedisLeaseReader.Read"/>) only once
/// it has won, so a lease that was given up is never also registered as held.</para>
/// <para>One script answers several requests, and each request's continuation (the rest of its HTTP request) runs where
/// its lease completes, so it must not run inside the one that answers the next: all but one are answered through the
/// thread pool (<see cref="AnswerLater"/>).</para>
/// </remarks>
internal sealed class RedisQueuedLease : IValueTaskSource<SessionLease>, IThreadPoolWorkItem
{
    private readonly IRedisLeaseReader _reader;

    // Not pooled: one per request, awaited once, so its version stays 0. Continuations run where it completes.
    private ManualResetValueTaskSourceCore<SessionLease> _core;
    private CancellationTokenRegistration _cancellation;
    private RedisResult? _answer;
    private int _completed;

    public RedisQueuedLease(IRedisLeaseReader reader, SessionId id, string token, string? owner)
    {
        _reader = reader;
        Id = id;
        Token = token;
        Owner = owner;
    }

    /// <summary>Gets the session.</summary>
    public SessionId Id { get; }

    /// <summary>Gets the lease's token.</summary>
    public string Token { get; }

    /// <summary>Gets the caller's owner (<see langword="null"/>: none).</summary>
    public string? Owner { get; }

    /// <summary>Gets what the lease's request awaits (once).</summary>
    public ValueTask<SessionLease> Pending => new(this, _core.Version);

    /// <summary>Gets whether the lease has completed (answered, failed, or given up by its request).</summary>
    public bool IsCompleted => Volatile.Read(ref _completed) != 0;

    /// <summary>Ends the wait when the caller gives up (a call already sent still runs; its lease is released by token).</summary>
    public void CancelWith(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(
                static (state, token) => ((RedisQueuedLease)state!).Fail(new OperationCanceledException(token)), this);
        }
    }

    /// <summary>Gives the lease its answer; its request carries on on this thread.</summary>
    public void Answer(RedisResult answer)
    {
        _cancellation.Dispose();
        if (!TryComplete())
        {
            return;
        }

        SessionLease lease;
        try
        {
            lease = _reader.Read(this, answer);
        }
#pragma warning disable CA1031 // Whatever the answer cannot be read as goes to the request that awaits it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _core.SetException(ex);
            return;
        }

        _core.SetResult(lease);
    }

    /// <summary>Gives the lease its answer on a thread-pool thread.</summary>
    public void AnswerLater(RedisResult answer)
    {
        _answer = answer;
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    void IThreadPoolWorkItem.Execute() => Answer(_answer!);

    /// <summary>Fails the lease with what failed the script that carried it (or the request giving up).</summary>
    public void Fail(Exception failure)
    {
        _cancellation.Dispose();
        if (TryComplete())
        {
            _core.SetException(_reader.Failed(this, failure));
        }
    }

    SessionLease IValueTaskSource<SessionLease>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<SessionLease>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<SessionLease>.OnCompleted(
        Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private bool TryComplete() => Interlocked.Exchange(ref _completed, 1) == 0;
}
