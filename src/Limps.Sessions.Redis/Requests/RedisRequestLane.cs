namespace Limps.Sessions.Redis;

/// <summary>
/// The request path's calls to one shard, waiting to be sent together: while one request script of the shard is on
/// its way, the leases, releases and handle uses and writes that come in meanwhile wait here and go in the next one,
/// when it is answered.
/// </summary>
/// <remarks>
/// <para>With nothing on its way, a call is sent at once, alone, as it would be without the lane. Under load, every call
/// made during one round trip goes in the next script: Redis then runs one script, reads one command and writes one
/// reply for many requests, and the host sends and reads one command for them; only the calls' own commands are paid
/// per request. A lease waits at most one round trip longer than it would alone.</para>
/// <para>A lease of a session whose release waits here takes the release's place as one handover call (see
/// <c>TryHandOver</c>).</para>
/// <para>Anything else this store sends to Redis first sends what waits here (<see cref="SendWaiting"/> with
/// <c>force</c>), so a release still reaches Redis before any later command of this replica, as if it had been sent at
/// once.</para>
/// </remarks>
internal sealed class RedisRequestLane
{
    // What a list grows to at its first call anyway.
    private const int MinCapacity = 4;

    private readonly Lock _gate = new();
    private readonly RedisRequestQueue _queue;
    private List<RedisQueuedCall> _waiting = [];

    // Scripts of this lane handed to the connection and not yet answered.
    private int _inFlight;

    public RedisRequestLane(RedisRequestQueue queue, int shard)
    {
        _queue = queue;
        Shard = shard;
    }

    /// <summary>Gets the shard this lane sends to.</summary>
    public int Shard { get; }

    /// <summary>
    /// Sends a call at once when no script of this shard is on its way; otherwise it waits for the next script, which
    /// goes when that one is answered. A lease of a session whose release is waiting is merged with it into one
    /// handover.
    /// </summary>
    /// <returns><see langword="false"/> when the call was merged into a waiting one (one call fewer waits).</returns>
    public bool Add(in RedisQueuedCall call)
    {
        bool send;
        bool added = true;
        lock (_gate)
        {
            if (call.Lease is null || !TryHandOver(call))
            {
                _waiting.Add(call);
            }
            else
            {
                added = false;
            }

            send = _inFlight == 0;
        }

        if (send)
        {
            SendWaiting(force: false);
        }

        return added;
    }

    /// <summary>
    /// Sends every waiting call now. Without <paramref name="force"/>, only when no script of this lane is on its way
    /// (the waiting calls then go when it is answered).
    /// </summary>
    /// <remarks>
    /// The calls are taken and their scripts handed to the connection under one lock: a caller that finds nothing
    /// waiting can rely on what was waiting being on the connection already, ahead of its own command.
    /// </remarks>
    public void SendWaiting(bool force)
    {
        lock (_gate)
        {
            if (_waiting.Count == 0 || (!force && _inFlight > 0))
            {
                return;
            }

            while (true)
            {
                List<RedisQueuedCall> calls = _waiting;

                // As many calls as this time wait for the next script under steady load: made at that size, the list is
                // not grown call by call again.
                _waiting = new List<RedisQueuedCall>(Math.Max(MinCapacity, calls.Count));
                if (!force)
                {
                    KeepBackReleases(calls, _waiting);
                }

                _queue.Taken(calls.Count);

                // Not "_inFlight += Issue(...)": a script that fails at once calls Answered inside Issue, and the count
                // read before the call would lose that.
                int issued = _queue.Issue(this, calls);
                _inFlight += issued;
                if (issued > 0 || _inFlight > 0 || _waiting.Count == 0)
                {
                    return;
                }

                // Nothing went after all (every lease in it was given up meanwhile), so no answer will send the releases
                // kept back: they go now.
                force = true;
            }
        }
    }

    // A client that waits for each answer gives its session's lease back and asks for the next one a moment later, often
    // just after the script that would have carried both has gone. A release that has not waited yet therefore waits for
    // the next script when something else goes now (whose answer sends the next one): the session's next lease then
    // finds it and the two go as one handover (see TryHandOver). A release waits at most two scripts; it carries the
    // instant it was given back (the idle clock starts there), and anything else this store sends goes after it
    // (SendWaiting with force); until it arrives the session counts one lease more, as it would while its answer travels.
    private static void KeepBackReleases(List<RedisQueuedCall> calls, List<RedisQueuedCall> kept)
    {
        if (!calls.Exists(call => !call.IsRelease || call.KeptBack))
        {
            return;
        }

        int sent = 0;
        for (int i = 0; i < calls.Count; i++)
        {
            RedisQueuedCall call = calls[i];
            if (call.IsRelease && !call.KeptBack)
            {
                kept.Add(call with { KeptBack = true });
            }
            else
            {
                calls[sent++] = call;
            }
        }

        calls.RemoveRange(sent, calls.Count - sent);
    }

    /// <summary>
    /// Called when a script of this lane was answered (or failed), before its calls get their answers: the calls that
    /// waited for it go now.
    /// </summary>
    public void Answered()
    {
        bool send;
        lock (_gate)
        {
            _inFlight--;
            send = _inFlight == 0 && _waiting.Count > 0;
        }

        if (send)
        {
            SendWaiting(force: false);
        }
    }

    // A client that waits for each answer before its next request gives its session's lease back and takes the next one
    // within one round trip: under load both wait for the same script. The lease then takes the release's place as a
    // handover, which Redis runs with one read and one write of the session instead of two each. Only the latest call of
    // the session is looked at (a lease already waiting for it means the release is not the last word), and only among
    // the calls a script carries at most, so a long queue behind a slow Redis costs no more per call.
    private bool TryHandOver(in RedisQueuedCall lease)
    {
        int stop = Math.Max(0, _waiting.Count - RedisRequestQueue.MaxCallsPerScript);
        for (int i = _waiting.Count - 1; i >= stop; i--)
        {
            RedisQueuedCall waiting = _waiting[i];
            if (waiting.Id != lease.Id)
            {
                continue;
            }

            if (!waiting.IsRelease)
            {
                return false;
            }

            _waiting[i] = lease with { GivenBack = waiting.GivenBack, ReleasedAt = waiting.ReleasedAt };
            return true;
        }

        return false;
    }

    /// <summary>
    /// Takes every waiting call out without sending it: Redis did not answer the script before them in time, and
    /// these would wait a whole operation timeout more behind it.
    /// </summary>
    public List<RedisQueuedCall> TakeWaiting()
    {
        List<RedisQueuedCall> calls;
        lock (_gate)
        {
            calls = _waiting;
            _waiting = [];
        }

        _queue.Taken(calls.Count);
        return calls;
    }
}
