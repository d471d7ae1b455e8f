using StackExchange.Redis;

namespace Limps.Sessions.Redis;

// Calls to Redis: every script and command the store sends goes through here, under the operation timeout and (but for
// the request lanes' own scripts) after what waits in them; their failures become SessionStoreUnavailableException here.
internal sealed partial class RedisSessionStore
{
    private static readonly string[] TransientServerErrors =
        ["LOADING", "BUSY", "MASTERDOWN", "READONLY", "TRYAGAIN", "CLUSTERDOWN", "NOREPLICAS", "OOM"];

    /// <summary>Runs a script by its digest, sending its text once when Redis does not have it (after a restart).</summary>
    public async Task<RedisResult> EvaluateAsync(RedisScript script, RedisKey key, RedisValue[] args, CancellationToken cancellationToken)
    {
        try
        {
            try
            {
                return await SendAsync(script, key, args, cancellationToken).ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (IsNoScript(ex))
            {
                await LoadScriptsAsync().ConfigureAwait(false);
                return await SendTextAsync(script, key, args, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (IsFailure(ex))
        {
            throw Unavailable(ex);
        }
    }

    /// <summary>
    /// Sends a script by its digest (<c>EVALSHA</c>) under the operation timeout, without an async frame of its own,
    /// after whatever waits in <see cref="Requests"/> (so a release queued earlier reaches Redis first). The caller
    /// handles <see cref="IsNoScript"/> (with <see cref="SendTextAsync"/>) and maps <see cref="IsFailure"/> with
    /// <see cref="Unavailable"/>.
    /// </summary>
    public Task<RedisResult> SendAsync(RedisScript script, RedisKey key, RedisValue[] args, CancellationToken cancellationToken)
    {
        Requests.SendWaiting();
        return SendUnqueuedAsync(script, key, args, text: false, cancellationToken);
    }

    /// <summary>Sends a script's text (<c>EVAL</c>, which also caches it in Redis) under the operation timeout.</summary>
    public Task<RedisResult> SendTextAsync(RedisScript script, RedisKey key, RedisValue[] args, CancellationToken cancellationToken)
    {
        Requests.SendWaiting();
        return SendUnqueuedAsync(script, key, args, text: true, cancellationToken);
    }

    /// <summary>
    /// Sends a script by its digest, or its text, under the operation timeout, without first sending what waits in
    /// <see cref="Requests"/> (which sends its own scripts this way).
    /// </summary>
    public Task<RedisResult> SendUnqueuedAsync(
        RedisScript script, RedisKey key, RedisValue[] args, bool text, CancellationToken cancellationToken = default) =>
        Bound(
            text ? Database.ScriptEvaluateAsync(script.Text, [key], args) : Database.ScriptEvaluateAsync(script.Hash, [key], args),
            cancellationToken);

    /// <summary>
    /// Loads every script onto every master it can reach, after a call met <c>NOSCRIPT</c> (Redis restarted, failed over
    /// to a node that never ran them, or had its cache flushed). Without it, the next script to miss could be a release,
    /// which nobody waits for: sent again with its text, it would arrive after the calls that followed it.
    /// </summary>
    public async Task LoadScriptsAsync()
    {
        var loads = new List<Task>();
        foreach (IServer server in _connection.GetServers())
        {
            if (server.IsConnected && !server.IsReplica)
            {
                foreach ((_, RedisScript script) in RedisScripts.All)
                {
                    loads.Add(server.ScriptLoadAsync(script.Text));
                }
            }
        }

        try
        {
            await Task.WhenAll(loads).WaitAsync(_timeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsFailure(ex) || ex is TimeoutException)
        {
            // The caller sends its own script's text either way; a release that misses later is sent again too.
        }
    }

    /// <summary>Whether Redis did not have the script cached (after a restart or a <c>SCRIPT FLUSH</c>).</summary>
    public static bool IsNoScript(Exception ex) =>
        ex is RedisServerException && ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal);

    /// <summary>
    /// Whether an exception from a Redis call means the store cannot answer. Any Redis error (a script error, a wrong
    /// type at a key) says no more than that to the caller, and its message names the key too.
    /// </summary>
    public static bool IsFailure(Exception ex) => IsUnavailable(ex) || ex is RedisException;

    /// <summary>Runs a plain command under the operation timeout, mapping store failures.</summary>
    public async Task<T> RunAsync<T>(Func<IDatabase, Task<T>> command, CancellationToken cancellationToken)
    {
        try
        {
            Requests.SendWaiting();
            return await Bound(command(Database), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnavailable(ex) || ex is RedisException)
        {
            throw Unavailable(ex);
        }
    }

    public static bool IsUnavailable(Exception ex) => ex switch
    {
        RedisConnectionException or RedisTimeoutException or TimeoutException => true,
        RedisServerException server => TransientServerErrors.Any(
            prefix => server.Message.StartsWith(prefix, StringComparison.Ordinal)),
        ObjectDisposedException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsUnavailable),
        _ => false,
    };

    /// <summary>
    /// The exception callers see when Redis fails. StackExchange.Redis names the command and its key in its messages,
    /// and a key holds a full session id; so the message is rewritten with every id masked, and the original is not
    /// attached (its message, and those of the exceptions inside it, would carry the id): a
    /// <see cref="RedisStoreFailure"/> with the masked message, the original's type and its stack trace stands in.
    /// </summary>
    public static SessionStoreUnavailableException Unavailable(Exception inner)
    {
        RedisStoreFailure failure = RedisStoreFailure.From(inner);
        return new SessionStoreUnavailableException("The Redis session store is unavailable: " + failure.Message, failure);
    }

    private Task<T> Bound<T>(Task<T> task, CancellationToken cancellationToken) =>
        task.WaitAsync(_timeout, TimeProvider.System, cancellationToken);
}
