using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Limps.Sessions.AspNetCore;

/// <summary>
/// Counts the requests the session check admitted on each session in this process, so the server's own state of an
/// ended session is freed only once they have finished (a server that frees it earlier cuts them: an empty 200, a
/// bare "session not found" or a reset). Server integrations (for example <c>Limps.Sessions.Mcp</c>) wait on it
/// before they release a session; the wait is bounded by <see cref="LimpsSessionsHttpOptions.ReleaseDrainTimeout"/>.
/// </summary>
/// <remarks>
/// Only POSTs count: a standalone GET stream stays open for as long as the client listens, so waiting for it would
/// hold every release for the whole bound; the server ends such a stream cleanly when it frees the session.
/// </remarks>
public sealed class SessionRequestDrain
{
    private readonly ConcurrentDictionary<SessionId, Counter> _counters = new();
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;

    internal SessionRequestDrain(IOptions<LimpsSessionsHttpOptions> options, TimeProvider time)
    {
        _timeout = options.Value.ReleaseDrainTimeout;
        _time = time;
    }

    /// <summary>Gets the number of sessions with a request counter in this process (for tests and diagnostics).</summary>
    internal int TrackedSessions => _counters.Count;

    /// <summary>
    /// Waits until the requests admitted on a session in this process have finished, or until
    /// <see cref="LimpsSessionsHttpOptions.ReleaseDrainTimeout"/> has passed. Call it after the session ended: requests
    /// that arrive later are refused by the session check and are not waited for.
    /// </summary>
    /// <param name="id">The ended session.</param>
    /// <param name="cancellationToken">Stops waiting (the host is shutting down).</param>
    /// <returns><see langword="true"/> when no admitted request is left; <see langword="false"/> when the bound passed first.</returns>
    public async ValueTask<bool> WaitForRequestsAsync(SessionId id, CancellationToken cancellationToken = default)
    {
        if (!_counters.TryGetValue(id, out Counter? counter))
        {
            return true;
        }

        counter.MarkEnded();
        bool drained = true;
        Task idle = counter.WhenIdle();
        if (!idle.IsCompleted)
        {
            try
            {
                await idle.WaitAsync(_timeout, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                drained = false;
            }
        }

        Retire(id, counter);
        return drained;
    }

    /// <summary>Counts a request on a session before its lease is taken, so an end that follows cannot miss it.</summary>
    internal Counter Enter(SessionId id)
    {
        while (true)
        {
            if (!_counters.TryGetValue(id, out Counter? counter))
            {
                counter = _counters.GetOrAdd(id, static _ => new Counter());
            }

            if (counter.TryEnter())
            {
                return counter;
            }

            // Retired by a drain or by the last request of an id that was not live: take a fresh one.
            _counters.TryRemove(new KeyValuePair<SessionId, Counter>(id, counter));
        }
    }

    /// <summary>Ends a request counted by <see cref="Enter"/>.</summary>
    /// <param name="id">The session.</param>
    /// <param name="counter">What <see cref="Enter"/> returned.</param>
    /// <param name="admitted">Whether the request held a lease (the session was live); other counters are dropped at once.</param>
    internal void Exit(SessionId id, Counter counter, bool admitted)
    {
        if (counter.Exit() && (!admitted || counter.Ended))
        {
            Retire(id, counter);
        }
    }

    private void Retire(SessionId id, Counter counter)
    {
        if (counter.TryRetire())
        {
            _counters.TryRemove(new KeyValuePair<SessionId, Counter>(id, counter));
        }
    }

    /// <summary>The requests in flight on one session; -1 once retired (no request may enter it again).</summary>
    internal sealed class Counter
    {
        private int _count;
        private int _ended;
        private TaskCompletionSource? _idle;

        public bool Ended => Volatile.Read(ref _ended) != 0;

        public bool TryEnter()
        {
            int count = Volatile.Read(ref _count);
            while (count >= 0)
            {
                int seen = Interlocked.CompareExchange(ref _count, count + 1, count);
                if (seen == count)
                {
                    return true;
                }

                count = seen;
            }

            return false;
        }

        /// <summary>Returns <see langword="true"/> when this was the last request in flight.</summary>
        public bool Exit()
        {
            if (Interlocked.Decrement(ref _count) != 0)
            {
                return false;
            }

            Volatile.Read(ref _idle)?.TrySetResult();
            return true;
        }

        public void MarkEnded() => Interlocked.Exchange(ref _ended, 1);

        public Task WhenIdle()
        {
            if (Volatile.Read(ref _count) <= 0)
            {
                return Task.CompletedTask;
            }

            var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            TaskCompletionSource idle = Interlocked.CompareExchange(ref _idle, created, null) ?? created;

            // A request may have finished between the first read and the publication above.
            if (Volatile.Read(ref _count) <= 0)
            {
                idle.TrySetResult();
            }

            return idle.Task;
        }

        public bool TryRetire() => Interlocked.CompareExchange(ref _count, -1, 0) == 0;
    }
}
