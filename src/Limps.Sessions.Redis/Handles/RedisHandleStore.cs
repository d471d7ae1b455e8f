using System.Diagnostics.Metrics;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using NodaTime;
using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>
/// An <see cref="IHandleStore{TState}"/> in Redis: the handles of one kind shared by every replica that uses the same
/// Redis and key prefix, so a basket created on one replica is usable on all and survives a restart of any of them.
/// States are kept as JSON through a <see cref="JsonTypeInfo{T}"/> (so trimmed and native AOT hosts work).
/// </summary>
/// <remarks>
/// <para>
/// Built on <see cref="RedisSessionRegistry"/> as the in-memory store is built on <see cref="InMemorySessionRegistry"/>:
/// a handle is a session id under the kind's own key prefix (<c>&lt;KeyPrefix&gt;h:&lt;kind&gt;:</c>), its owner the
/// session's owner, the kind's options its lifecycle options; the state and its version are two more fields of the
/// session hash, so they expire, end and are swept with it. Idle and lifetime expiry, first reason wins across
/// replicas, the sweep, the bounded ledger (tombstones keep the owner, so an ended handle is told only to its owner),
/// observers (on the replica that made the change), metrics tagged <c>limps.handle.kind</c> and masked logging are the
/// registry's.
/// </para>
/// <para>
/// Costs: a use is one round trip (one script checks the owner, records activity and returns the state; uses made
/// while one is on its way share the next script, as sessions' leases do). An update is two: a use, then a
/// compare-and-set of the state on its version; when another update came first, the answer carries the newer state and
/// the update function runs again on it, so no update is lost. An update takes no lease: if the handle's deadline
/// passes between the two, the write answers that it expired.
/// </para>
/// <para>
/// The per-owner cap is exact across replicas (and shards): each owner's live handles are kept in an index that the
/// creating script counts and every end updates; with several shards, an owner's handles are minted into the shard of
/// the owner's index.
/// </para>
/// </remarks>
/// <typeparam name="TState">The application's state kept per handle.</typeparam>
public sealed class RedisHandleStore<TState> : IHandleStore<TState>, IDisposable
{
    private readonly HandleKindOptions _kind;
    private readonly HandleStateSerializer<TState> _serializer;
    private readonly HandleFormat _format;
    private readonly RedisSessionRegistry _registry;
    private readonly HandleKindMeterFactory _meters;
    private readonly ILogger _logger;

    /// <summary>Creates a store for one kind of handle.</summary>
    /// <param name="connection">The Redis connection; not disposed by the store.</param>
    /// <param name="options">The kind's settings; checked and copied here. Every replica must use the same ones.</param>
    /// <param name="stateType">How the state is written to and read from JSON, for example <c>MyJsonContext.Default.Basket</c>.</param>
    /// <param name="redisOptions">The Redis store options (key prefix, timeouts); <see langword="null"/> for the defaults.</param>
    /// <param name="clock">The clock every expiry decision of this replica reads; <see langword="null"/> for <see cref="SystemClock.Instance"/>.</param>
    /// <param name="observers">Notified when handles start and end (with the handle as the session id), on the replica that made the change.</param>
    /// <param name="loggerFactory">Where log lines go; handles are always masked.</param>
    /// <param name="meterFactory">Creates the <c>Limps.Sessions</c> meter (tagged with the kind); <see langword="null"/> creates a standalone one.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">A setting is not valid; the message names its key.</exception>
    public RedisHandleStore(
        IConnectionMultiplexer connection,
        HandleKindOptions options,
        JsonTypeInfo<TState> stateType,
        RedisSessionStoreOptions? redisOptions = null,
        IClock? clock = null,
        IEnumerable<ISessionLifecycleObserver>? observers = null,
        ILoggerFactory? loggerFactory = null,
        IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(stateType);
        options.ThrowIfInvalid();
        _kind = options.Clone();
        _serializer = new HandleStateSerializer<TState>(_kind.Name, stateType);
        _format = new HandleFormat(_kind.Prefix);
        redisOptions ??= new RedisSessionStoreOptions();
        clock ??= SystemClock.Instance;

        LimpsSessionsOptions lifecycle = _kind.ToSessionOptions();
        KeyPrefix = redisOptions.KeyPrefix + "h:" + _kind.Name + ":";
        _meters = new HandleKindMeterFactory(meterFactory, _kind.Name);
        ILogger? registryLogger = loggerFactory?.CreateLogger<RedisSessionRegistry>();
        _logger = SessionTelemetry.NonThrowing(loggerFactory?.CreateLogger("Limps.Sessions.Handles"));
        _registry = new RedisSessionRegistry(
            new RedisSessionStore(connection, lifecycle, redisOptions, clock, KeyPrefix),
            new SessionTelemetry(registryLogger, _meters, observers));
    }

    /// <inheritdoc />
    public HandleKindOptions Kind => _kind.Clone();

    /// <summary>Gets the prefix of this kind's keys in Redis, for tests.</summary>
    internal string KeyPrefix { get; }

    /// <summary>Gets the registry that keeps the handles' lifecycle, for tests.</summary>
    internal RedisSessionRegistry Registry => _registry;

    /// <inheritdoc />
    /// <exception cref="HandleStateSerializationException">The state cannot be written as JSON; nothing was created.</exception>
    /// <exception cref="SessionStoreUnavailableException">Redis cannot be reached or does not answer in time.</exception>
    public async ValueTask<string> CreateAsync(TState state, string? owner = null, CancellationToken cancellationToken = default)
    {
        if (state is null)
        {
            throw new ArgumentNullException(nameof(state));
        }

        byte[] json = _serializer.Serialize(state);
        SessionId id = NewHandle(owner);
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await _registry.CreateAsync(id, owner, null, json, _kind.MaxHandlesPerOwner, cancellationToken).ConfigureAwait(false);
                return id.ToString();
            }
            catch (OwnerCapacityExceededException) when (attempt == 0 && owner is not null)
            {
                // Overdue handles still count until something ends them; end the owner's before refusing.
                await LiveOfAsync(owner, cancellationToken).ConfigureAwait(false);
            }
            catch (OwnerCapacityExceededException)
            {
                RedisLog.HandleCapacityReached(_logger, _kind.Name, _kind.MaxHandlesPerOwner, perOwner: true);
                throw new HandleCapacityExceededException(_kind.Name, _kind.MaxHandlesPerOwner, perOwner: true);
            }
            catch (SessionCapacityExceededException)
            {
                RedisLog.HandleCapacityReached(_logger, _kind.Name, _kind.MaxHandles, perOwner: false);
                throw new HandleCapacityExceededException(_kind.Name, _kind.MaxHandles, perOwner: false);
            }
        }
    }

    /// <inheritdoc />
    /// <exception cref="SessionStoreUnavailableException">Redis cannot be reached or does not answer in time.</exception>
    public async ValueTask<TState> UseAsync(string? handle, string? caller = null, CancellationToken cancellationToken = default)
    {
        if (!_format.TryParse(handle, out SessionId id))
        {
            throw Invalid(handle);
        }

        StateRead read = await _registry.UseForOwnerAsync(id, caller, cancellationToken).ConfigureAwait(false);
        return read.Lookup.IsActive ? Deserialize(read.State, handle) : throw Unavailable(read, handle);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The update function runs on a state read from Redis, and runs again on the newer state when another update of the
    /// same handle was written in between; the state in Redis changes only when a run's result is written.
    /// </remarks>
    /// <exception cref="HandleStateSerializationException">The new state cannot be written as JSON; the state is unchanged.</exception>
    /// <exception cref="SessionStoreUnavailableException">Redis cannot be reached or does not answer in time.</exception>
    public async ValueTask<TState> UpdateAsync(
        string? handle, string? caller, Func<TState, TState> update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (!_format.TryParse(handle, out SessionId id))
        {
            throw Invalid(handle);
        }

        StateRead read = await _registry.UseForOwnerAsync(id, caller, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            if (read.State is null)
            {
                // Not live for this caller (a conflict's answer always carries the newer state).
                throw Unavailable(read, handle);
            }

            TState next = update(Deserialize(read.State, handle));
            if (next is null)
            {
                throw new InvalidOperationException($"The update of {_kind.Name} {id.Masked} returned null; the state is unchanged.");
            }

            byte[] json = _serializer.Serialize(next);
            StateWrite written = await _registry.WriteStateAsync(id, caller, read.Version, json, cancellationToken).ConfigureAwait(false);
            switch (written.Outcome)
            {
                case StateWriteOutcome.Written:
                    return next;
                case StateWriteOutcome.Conflict:
                    cancellationToken.ThrowIfCancellationRequested();
                    read = written.Current;
                    break;
                default:
                    throw Unavailable(written.Current, handle);
            }
        }
    }

    /// <inheritdoc />
    /// <exception cref="SessionStoreUnavailableException">Redis cannot be reached or does not answer in time.</exception>
    public async ValueTask DestroyAsync(string? handle, string? caller = null, CancellationToken cancellationToken = default)
    {
        if (!_format.TryParse(handle, out SessionId id))
        {
            throw Invalid(handle);
        }

        (bool ended, StateRead answer) = await _registry.EndForOwnerAsync(id, caller, ExpiryReason.Deleted, cancellationToken)
            .ConfigureAwait(false);
        if (!ended)
        {
            throw Unavailable(answer, handle);
        }
    }

    /// <inheritdoc />
    /// <exception cref="SessionStoreUnavailableException">Redis cannot be reached or does not answer in time.</exception>
    public ValueTask<bool> EndAsync(string? handle, ExpiryReason reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reason);
        return _format.TryParse(handle, out SessionId id)
            ? _registry.EndAsync(id, reason, cancellationToken)
            : new ValueTask<bool>(false);
    }

    /// <inheritdoc />
    /// <remarks>One round trip for the owner's index, then one look-up per handle in it, sent together.</remarks>
    /// <exception cref="SessionStoreUnavailableException">Redis cannot be reached or does not answer in time.</exception>
    public async ValueTask<IReadOnlyList<HandleInfo>> ListAsync(string? caller, CancellationToken cancellationToken = default)
    {
        if (caller is null)
        {
            return [];
        }

        List<SessionInfo> live = await LiveOfAsync(caller, cancellationToken).ConfigureAwait(false);
        var infos = new List<HandleInfo>(live.Count);
        foreach (SessionInfo session in live)
        {
            infos.Add(HandleInfo.Of(session, _kind));
        }

        infos.Sort(HandleInfo.CompareByCreation);
        return infos;
    }

    /// <inheritdoc />
    /// <exception cref="SessionStoreUnavailableException">Redis cannot be reached or does not answer in time.</exception>
    public ValueTask<int> SweepAsync(CancellationToken cancellationToken = default) => _registry.SweepAsync(cancellationToken);

    /// <inheritdoc />
    /// <exception cref="SessionStoreUnavailableException">Redis cannot be reached or does not answer in time.</exception>
    public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) => _registry.CountAsync(cancellationToken);

    /// <summary>Stops the registry's background work and disposes the meter the store created, if any.</summary>
    public void Dispose()
    {
        _registry.Dispose();
        _meters.Dispose();
    }

    // With several shards, an owner's handles are minted into the owner's shard (a fresh random id until one hashes
    // there: the shard count tries on average), so the owner's index and every handle in it share one hash slot and the
    // per-owner cap stays exact, counted in the same script that creates the handle.
    private SessionId NewHandle(string? owner)
    {
        RedisKeys keys = _registry.Keys;
        SessionId id = _format.NewHandle();
        if (owner is null || keys.ShardCount == 1)
        {
            return id;
        }

        int shard = keys.ShardOfOwner(owner);
        while (keys.ShardOf(id) != shard)
        {
            id = _format.NewHandle();
        }

        return id;
    }

    private TState Deserialize(byte[]? json, string handle) =>
        json is { Length: > 0 }
            ? _serializer.Deserialize(json)
            : throw new InvalidOperationException(
                $"The stored state of {_kind.Name} {HandleMask(handle)} is missing; it was not written by this store.");

    private static string HandleMask(string handle) => string.Concat(handle.AsSpan(0, Math.Min(8, handle.Length / 2)), "...");

    // Every live handle of an owner, after a look-up of each (which ends the overdue ones: the end drops them from the
    // owner's index) and dropping from the index those whose keys expired without an end.
    private async ValueTask<List<SessionInfo>> LiveOfAsync(string owner, CancellationToken cancellationToken)
    {
        SessionId[] owned = await _registry.OwnedAsync(owner, cancellationToken).ConfigureAwait(false);
        SessionLookup[] lookups = await Task.WhenAll(owned.Select(id => _registry.LookupAsync(id, cancellationToken).AsTask()))
            .ConfigureAwait(false);
        var live = new List<SessionInfo>(owned.Length);
        var gone = new List<SessionId>();
        for (int i = 0; i < owned.Length; i++)
        {
            if (lookups[i].TryGetSession(out SessionInfo session) && string.Equals(session.Owner, owner, StringComparison.Ordinal))
            {
                live.Add(session);
            }
            else if (lookups[i].IsNotFound)
            {
                gone.Add(owned[i]);
            }
        }

        await _registry.ForgetOwnedAsync(owner, gone, cancellationToken).ConfigureAwait(false);
        return live;
    }


    private HandleUnavailableException Unavailable(StateRead read, string handle)
    {
        if (read.Foreign)
        {
            // Another user's handle is answered exactly as an unknown one, and was left untouched.
            RedisLog.HandleOwnerMismatch(_logger, _kind.Name, HandleMask(handle));
            return HandleUnavailableException.NotFound(_kind.Name, handle, _kind.CreateToolName);
        }

        return read.Lookup.TryGetExpiry(out ExpiredSession? ended)
            ? HandleUnavailableException.Expired(_kind.Name, handle, ended.Reason, ended.ExpiredAt, _kind.CreateToolName)
            : HandleUnavailableException.NotFound(_kind.Name, handle, _kind.CreateToolName);
    }

    private HandleUnavailableException Invalid(string? handle) =>
        HandleUnavailableException.Invalid(_kind.Name, handle, _kind.CreateToolName);
}
