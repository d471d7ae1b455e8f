using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>
/// The request path of one store: the owner-checked lease every HTTP request opens and the release that ends it, and
/// the owner-checked use and state write of a handle a tool makes, sent to Redis together per shard in one request script
/// (<see cref="RedisScripts.Requests"/>), one lane per shard.
/// </summary>
/// <remarks>
/// A lease, use or write is still one round trip for its caller and a release is still not waited for; what changes is that
/// the calls of several requests share one script, one command on the connection and one reply. Each call in a script
/// succeeds or fails on its own; a script that fails (Redis unreachable, too late) fails every call it carried, and
/// the calls that waited behind it.
/// </remarks>
internal sealed class RedisRequestQueue
{
    // Enough for a burst of requests; a script runs on Redis's one thread, so it stays short.
    internal const int MaxCallsPerScript = 64;

    private readonly RedisSessionStore _store;
    private readonly RedisRequestLane?[] _lanes;
    private int _waiting;

    public RedisRequestQueue(RedisSessionStore store)
    {
        _store = store;
        _lanes = new RedisRequestLane?[store.Keys.ShardCount];
    }

    /// <summary>
    /// Gets or sets what happens to a release that did not reach Redis (the registry defers it to its heartbeat).
    /// </summary>
    public Action<SessionId, string, Exception>? ReleaseFailed { get; set; }

    /// <summary>
    /// Queues an owner-checked lease; <paramref name="reader"/> turns its entry of the script's answer (the access
    /// script's short answer), or its failure, into what the returned task gives.
    /// </summary>
    public ValueTask<SessionLease> Lease(
        IRedisLeaseReader reader, SessionId id, string token, string? owner, CancellationToken cancellationToken)
    {
        var lease = new RedisQueuedLease(reader, id, token, owner);
        lease.CancelWith(cancellationToken);
        Add(id, new RedisQueuedCall(id, null, 0, lease));
        return lease.Pending;
    }

    /// <summary>
    /// Queues an owner-checked use of a handle (look-up, activity, state); <paramref name="reader"/> turns its entry of the
    /// script's answer (the access script's answer with the state) into what the returned task gives.
    /// </summary>
    public ValueTask<StateRead> Use(IRedisUseReader reader, SessionId id, string? owner, CancellationToken cancellationToken)
    {
        var use = new RedisQueuedUse(reader, id, owner);
        use.CancelWith(cancellationToken);
        Add(id, new RedisQueuedCall(id, null, 0, use));
        return use.Pending;
    }

    /// <summary>
    /// Queues an owner-checked compare-and-set of a handle's state; <paramref name="reader"/> turns its entry of the
    /// script's answer into what the returned task gives.
    /// </summary>
    public ValueTask<StateWrite> Write(
        IRedisWriteReader reader, SessionId id, string? owner, long expectedVersion, byte[] state, CancellationToken cancellationToken)
    {
        var write = new RedisQueuedWrite(reader, id, owner, expectedVersion, state);
        write.CancelWith(cancellationToken);
        Add(id, new RedisQueuedCall(id, null, 0, write));
        return write.Pending;
    }

    /// <summary>Queues a release; nobody waits for it.</summary>
    public void Release(SessionId id, string token, long releasedAt) =>
        Add(id, new RedisQueuedCall(id, token, releasedAt, null));

    /// <summary>
    /// Sends every waiting call now, before the caller's own command: so a release reaches Redis before anything this
    /// store sends later, as if it had been sent at once.
    /// </summary>
    public void SendWaiting()
    {
        if (Volatile.Read(ref _waiting) == 0)
        {
            return;
        }

        foreach (RedisRequestLane? lane in _lanes)
        {
            lane?.SendWaiting(force: true);
        }
    }

    /// <summary>Counts calls a lane took out of its queue.</summary>
    internal void Taken(int count) => Interlocked.Add(ref _waiting, -count);

    /// <summary>
    /// Hands a lane's calls to the connection in scripts of at most <see cref="MaxCallsPerScript"/> calls each, in
    /// order, and answers how many scripts that was; each script tells the lane when it is answered (or failed), then
    /// hands its answers to its calls.
    /// </summary>
    internal int Issue(RedisRequestLane lane, List<RedisQueuedCall> calls)
    {
        // A lease, use or write whose caller gave up before it was sent is left out (the caller releases a lease's token
        // anyway); a handover's release still goes.
        for (int i = 0; i < calls.Count; i++)
        {
            if (calls[i] is { IsAbandoned: true, IsHandover: true } handover)
            {
                calls[i] = handover.ReleasePart;
            }
        }

        calls.RemoveAll(call => call.IsAbandoned);
        int scripts = 0;
        for (int start = 0; start < calls.Count; start += MaxCallsPerScript)
        {
            _ = SendScriptAsync(lane, calls, start, Math.Min(MaxCallsPerScript, calls.Count - start));
            scripts++;
        }

        return scripts;
    }

    private void Add(SessionId id, in RedisQueuedCall call)
    {
        int shard = _store.Keys.ShardOf(id);
        RedisRequestLane lane = Volatile.Read(ref _lanes[shard])
            ?? Interlocked.CompareExchange(ref _lanes[shard], new RedisRequestLane(this, shard), null)
            ?? _lanes[shard]!;
        Interlocked.Increment(ref _waiting);
        if (!lane.Add(call))
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    // Never throws: every failure goes to the calls it concerns. It runs synchronously up to handing the script to the
    // connection, so scripts reach Redis in the order they were issued.
    private async Task SendScriptAsync(RedisRequestLane lane, List<RedisQueuedCall> calls, int start, int count)
    {
        RedisResult[] answers;
        try
        {
            // Inside the try too: whatever fails here must still reach the calls, or their callers would wait forever.
            RedisValue[] args = Arguments(lane.Shard, calls, start, count);
            RedisKey key = _store.Keys.Session(calls[start].Id);
            RedisResult result;
            try
            {
                Task<RedisResult> sent = _store.SendUnqueuedAsync(RedisScripts.Requests, key, args, text: false);
                if (sent.IsCompleted)
                {
                    // Failed at once (no connection): its calls are failed off this thread, which holds the lane.
                    await Task.Yield();
                }

                result = await sent.ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (RedisSessionStore.IsNoScript(ex))
            {
                // NOSCRIPT: Redis ran none of it, so every call in it goes again as it was.
                await _store.LoadScriptsAsync().ConfigureAwait(false);
                result = await _store.SendUnqueuedAsync(RedisScripts.Requests, key, args, text: true).ConfigureAwait(false);
            }

            answers = (RedisResult[])result!;
        }
#pragma warning disable CA1031 // Nobody awaits this method: every failure is handed to the calls it concerns.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (RedisSessionStore.IsUnavailable(ex))
            {
                // The calls behind it would wait a whole timeout more: they fail with it.
                List<RedisQueuedCall> waiting = lane.TakeWaiting();
                Fail(waiting, 0, waiting.Count, ex);
            }

            lane.Answered();
            Fail(calls, start, count, ex);
            return;
        }

        // The next script of the lane goes before this one's callers carry on.
        lane.Answered();
        int last = -1;
        for (int i = 0; i < count; i++)
        {
            RedisQueuedCall call = calls[start + i];
            if (i >= answers.Length)
            {
                // Not an answer this library's script gives; no caller may be left waiting for it all the same.
                Fail(call, new RedisServerException("The request script answered fewer calls than it carried."));
                continue;
            }

            RedisResult answer = answers[i];
            if (answer.Resp2Type == ResultType.Array && (RedisResult[])answer! is [var status, var message, ..] && (long)status == -1)
            {
                Fail(call, new RedisServerException((string?)message ?? "The request script failed."));
            }
            else if (call.Waiter is not null)
            {
                // Each caller carries on with the rest of its request: all but the last on the thread pool, so they
                // run side by side; the last one here, on this thread, which has nothing else to do.
                if (last >= 0)
                {
                    calls[start + last].Waiter!.AnswerLater(answers[last]);
                }

                last = i;
            }
        }

        if (last >= 0)
        {
            calls[start + last].Waiter!.Answer(answers[last]);
        }
    }

    private void Fail(List<RedisQueuedCall> calls, int start, int count, Exception failure)
    {
        for (int i = start; i < start + count; i++)
        {
            Fail(calls[i], failure);
        }
    }

    private void Fail(in RedisQueuedCall call, Exception failure)
    {
        call.Waiter?.Fail(failure);
        if (call.GivenBack is not { } token)
        {
            return;
        }

        try
        {
            ReleaseFailed?.Invoke(call.Id, token, failure);
        }
#pragma warning disable CA1031 // Nobody waits for a release; it lapses by itself if even this failed.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    // The common arguments, the count, then each call's own (see RedisScripts.Requests).
    private RedisValue[] Arguments(int shard, List<RedisQueuedCall> calls, int start, int count)
    {
        int own = 1;
        for (int i = start; i < start + count; i++)
        {
            own += calls[i].ArgumentCount;
        }

        RedisValue[] args = _store.Arguments(shard, own);
        int at = RedisSessionStore.Own(0);
        args[at++] = count;
        for (int i = start; i < start + count; i++)
        {
            RedisQueuedCall call = calls[i];
            if (call.Use is { } use)
            {
                args[at++] = "u";
                args[at++] = call.Id.ToString();
                args[at++] = _store.TouchToleranceMicros;
                args[at++] = use.Owner is null ? 0 : 1;
                args[at++] = use.Owner ?? string.Empty;
                continue;
            }

            if (call.Write is { } write)
            {
                args[at++] = "w";
                args[at++] = call.Id.ToString();
                args[at++] = write.ExpectedVersion;
                args[at++] = write.State;
                args[at++] = write.Owner is null ? 0 : 1;
                args[at++] = write.Owner ?? string.Empty;
                continue;
            }

            if (call.Lease is not { } lease)
            {
                args[at++] = "r";
                args[at++] = call.Id.ToString();
                args[at++] = call.GivenBack;
                args[at++] = call.ReleasedAt;
                continue;
            }

            if (call.IsHandover)
            {
                args[at++] = "h";
                args[at++] = call.Id.ToString();
                args[at++] = call.GivenBack;
                args[at++] = call.ReleasedAt;
            }
            else
            {
                args[at++] = "b";
                args[at++] = call.Id.ToString();
            }

            args[at++] = lease.Token;
            args[at++] = lease.Owner is null ? 0 : 1;
            args[at++] = lease.Owner ?? string.Empty;
        }

        return args;
    }
}
