namespace Limps.Sessions.Client;

/// <summary>
/// One session the handler saw start: the id its caller knows, the id the server accepts now, the requests to replay
/// to start a new one, and the single-flight state of its recovery.
/// </summary>
internal sealed class TrackedSession
{
    private readonly Lock _gate = new();
    private string _currentId;
    private TaskCompletionSource<string?>? _recovery;
    private int _failedInARow;
    private int _replacements;
    private CapturedRequest? _initialized;

    public TrackedSession(string callerId, CapturedRequest initialize, long sequence)
    {
        CallerId = callerId;
        _currentId = callerId;
        Initialize = initialize;
        Sequence = sequence;
    }

    /// <summary>Gets the id the caller got from its <c>initialize</c> and keeps sending.</summary>
    public string CallerId { get; }

    /// <summary>Gets the id the server accepts now (the caller's own until the first replacement).</summary>
    public string CurrentId => Volatile.Read(ref _currentId);

    /// <summary>Gets the <c>initialize</c> the session started with.</summary>
    public CapturedRequest Initialize { get; }

    /// <summary>Gets the <c>notifications/initialized</c> the caller sent after it, once seen.</summary>
    public CapturedRequest? Initialized => Volatile.Read(ref _initialized);

    /// <summary>Gets the order in which sessions were tracked (the oldest is forgotten first).</summary>
    public long Sequence { get; }

    /// <summary>Keeps the first <c>notifications/initialized</c> seen.</summary>
    public void CaptureInitialized(CapturedRequest initialized) =>
        Interlocked.CompareExchange(ref _initialized, initialized, null);

    /// <summary>A request on the session succeeded: the next recovery starts without delay.</summary>
    public void Succeeded()
    {
        if (Volatile.Read(ref _failedInARow) != 0)
        {
            lock (_gate)
            {
                _failedInARow = 0;
            }
        }
    }

    /// <summary>
    /// Called by a request that got a 404 for <paramref name="failedId"/>: joins the recovery in flight, starts one, or
    /// learns that the session was already replaced or that recovery was given up.
    /// </summary>
    public RecoveryTicket BeginRecovery(string failedId, int maxInARow)
    {
        lock (_gate)
        {
            if (!string.Equals(_currentId, failedId, StringComparison.Ordinal))
            {
                return new RecoveryTicket(RecoveryRole.AlreadyReplaced, Task.FromResult<string?>(_currentId), _failedInARow);
            }

            if (_recovery is not null)
            {
                return new RecoveryTicket(RecoveryRole.Join, _recovery.Task, _failedInARow);
            }

            if (_failedInARow >= maxInARow)
            {
                return new RecoveryTicket(RecoveryRole.GiveUp, Task.FromResult<string?>(null), _failedInARow);
            }

            _recovery = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
            return new RecoveryTicket(RecoveryRole.Lead, _recovery.Task, _failedInARow++);
        }
    }

    /// <summary>
    /// Ends the recovery this caller leads: records the new id (or the failure) and returns the completion to signal
    /// once the replacement is announced, with the number of replacements so far.
    /// </summary>
    public (TaskCompletionSource<string?> Completion, int Replacements) EndRecovery(string? newId)
    {
        lock (_gate)
        {
            TaskCompletionSource<string?> completion = _recovery
                ?? throw new InvalidOperationException("No recovery is in flight.");
            _recovery = null;
            if (newId is not null)
            {
                _currentId = newId;
                _replacements++;
            }

            return (completion, _replacements);
        }
    }
}
