using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NodaTime;

namespace Limps.Sessions;

/// <summary>
/// An <see cref="IHandleStore{TState}"/> in process memory, for a single server process. States are kept as they are
/// (not copied or serialised).
/// </summary>
/// <remarks>
/// <para>
/// Built on the session core: the kind's handles are the sessions of an <see cref="InMemorySessionRegistry"/> of their
/// own (a handle is a valid <see cref="SessionId"/>, its owner the session's owner, the kind's options its session
/// options), so idle and lifetime expiry, first-reason-wins, the sweep that costs in proportion to what is due, the
/// bounded ledger, lifecycle observers, metrics (tagged <c>limps.handle.kind</c>) and masked logging are the ones
/// sessions have. Each handle's state and owner live in its registry entry (the owner as one record shared by all of
/// that owner's handles, which also counts them for the per-owner cap and lists them, linked through their entries),
/// so a handle costs its registry entry and id and nothing beside them.
/// </para>
/// <para>
/// A use of a live handle is one table probe and a touch of the entry it found, and allocates nothing. Tombstones keep
/// the owner, and an ended handle's reason is told only to its owner.
/// </para>
/// </remarks>
/// <typeparam name="TState">The application's state kept per handle.</typeparam>
public sealed class InMemoryHandleStore<TState> : IHandleStore<TState>, IDisposable
{
    private readonly HandleKindOptions _kind;
    private readonly HandleFormat _format;
    private readonly OwnerIndex _owners = new();
    private readonly KindLedger _ledger;
    private readonly InMemorySessionRegistry _registry;
    private readonly HandleKindMeterFactory _meters;
    private readonly ILogger _logger;

    /// <summary>Creates a store.</summary>
    /// <param name="options">The kind's settings; validated and copied here.</param>
    /// <param name="clock">The clock every expiry decision reads; <see langword="null"/> for <see cref="SystemClock.Instance"/>.</param>
    /// <param name="observers">Notified when handles start and end (with the handle as the session id).</param>
    /// <param name="loggerFactory">Where log lines go; handles are always masked.</param>
    /// <param name="meterFactory">Creates the <c>Limps.Sessions</c> meter (tagged with the kind); <see langword="null"/> creates a standalone one.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">A setting is not valid; the message names its key.</exception>
    public InMemoryHandleStore(
        HandleKindOptions options,
        IClock? clock = null,
        IEnumerable<ISessionLifecycleObserver>? observers = null,
        ILoggerFactory? loggerFactory = null,
        IMeterFactory? meterFactory = null)
    {
        HandleKindOptionsValidator.ThrowIfInvalid(options);
        _kind = options.Clone();
        _format = new HandleFormat(_kind.Prefix);
        clock ??= SystemClock.Instance;

        LimpsSessionsOptions sessionOptions = _kind.ToSessionOptions();
        _ledger = new KindLedger(new InMemoryExpiryLedger(sessionOptions, clock), _kind.Prefix);
        _meters = new HandleKindMeterFactory(meterFactory, _kind.Name);
        _logger = loggerFactory is null
            ? NullLogger.Instance
            : new NonThrowingLogger(loggerFactory.CreateLogger("Limps.Sessions.Handles"));
        _registry = new InMemorySessionRegistry(
            sessionOptions,
            clock,
            _ledger,
            [new EndListener(this), .. observers ?? []],
            loggerFactory is null ? null : new HandleRegistryLogger(loggerFactory.CreateLogger(HandleRegistryLogger.Category)),
            _meters);
    }

    /// <inheritdoc />
    public HandleKindOptions Kind => _kind.Clone();

    /// <summary>Gets the registry that keeps the handles' lifecycle, for tests.</summary>
    internal InMemorySessionRegistry Registry => _registry;

    /// <summary>Gets the ledger of ended handles, for tests.</summary>
    internal KindLedger Ledger => _ledger;

    /// <summary>
    /// Gets how many handle entries (each with its state) the store still holds anywhere, for tests: in the registry's
    /// table, on its schedule, or in an owner's list, live or ended.
    /// </summary>
    internal int SlotCount => _registry.TableCount + _registry.ScheduledCount + _owners.LinkedCount();

    /// <inheritdoc />
    public async ValueTask<string> CreateAsync(TState state, string? owner = null, CancellationToken cancellationToken = default)
    {
        if (state is null)
        {
            throw new ArgumentNullException(nameof(state));
        }

        SessionId id = _format.NewHandle();
        HandleOwner? record = null;
        if (owner is not null && (record = _owners.TryReserve(owner, _kind.MaxHandlesPerOwner)) is null)
        {
            // Overdue handles still count until something ends them; end them before refusing.
            await EndOverdueOfAsync(owner, cancellationToken).ConfigureAwait(false);
            if ((record = _owners.TryReserve(owner, _kind.MaxHandlesPerOwner)) is null)
            {
                HandleLog.HandleCapacityReached(_logger, _kind.Name, _kind.MaxHandlesPerOwner, perOwner: true);
                throw new HandleCapacityExceededException(_kind.Name, _kind.MaxHandlesPerOwner, perOwner: true);
            }
        }

        try
        {
            await _registry.CreateHandleAsync(id, record, state, cancellationToken).ConfigureAwait(false);
        }
        catch (SessionCapacityExceededException)
        {
            Unreserve(record);
            HandleLog.HandleCapacityReached(_logger, _kind.Name, _kind.MaxHandles, perOwner: false);
            throw new HandleCapacityExceededException(_kind.Name, _kind.MaxHandles, perOwner: false);
        }
        catch
        {
            Unreserve(record);
            throw;
        }

        // Linked once registered; a handle that ended meanwhile is skipped by the list and compacted away.
        if (record is not null && _registry.FindEntry(id) is { } entry)
        {
            OwnerIndex.Link(record, entry);
        }

        return id.ToString();
    }

    /// <inheritdoc />
    public ValueTask<TState> UseAsync(string? handle, string? caller = null, CancellationToken cancellationToken = default)
    {
        if (!_format.TryParse(handle, out SessionId id))
        {
            return ValueTask.FromException<TState>(Invalid(handle));
        }

        if (_registry.FindEntry(id) is not { } entry)
        {
            return AnswerEndedAsync<TState>(id, handle, caller, cancellationToken);
        }

        if (!IsOwnedBy(entry, caller))
        {
            return ValueTask.FromException<TState>(Foreign(handle));
        }

        if (_registry.TryTouchInPlace(entry))
        {
            return new ValueTask<TState>(Read(entry));
        }

        ValueTask<SessionLookup> touched = _registry.TouchEntry(entry);
        if (!touched.IsCompletedSuccessfully)
        {
            return AwaitUseAsync(touched, entry, handle, caller, cancellationToken);
        }

        SessionLookup lookup = touched.Result;
        return lookup.IsActive
            ? new ValueTask<TState>(Read(entry))
            : AnswerNotLiveAsync<TState>(lookup, id, handle, caller, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<TState> UpdateAsync(
        string? handle, string? caller, Func<TState, TState> update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (!_format.TryParse(handle, out SessionId id))
        {
            throw Invalid(handle);
        }

        if (_registry.FindEntry(id) is not { } entry)
        {
            return await AnswerEndedAsync<TState>(id, handle, caller, cancellationToken).ConfigureAwait(false);
        }

        if (!IsOwnedBy(entry, caller))
        {
            throw Foreign(handle);
        }

        // A lease keeps the handle from idling out while the update runs, and restarts its idle clock when it ends.
        SessionLease lease = await _registry.BeginLeaseAsync(id, cancellationToken).ConfigureAwait(false);
        await using (lease.ConfigureAwait(false))
        {
            if (!lease.IsHeld)
            {
                return await AnswerNotLiveAsync<TState>(lease.Lookup, id, handle, caller, cancellationToken).ConfigureAwait(false);
            }

            lock (entry)
            {
                TState next = update(Read(entry));
                if (next is null)
                {
                    throw new InvalidOperationException($"The update of {_kind.Name} {HandleText.Mask(handle)} returned null; the state is unchanged.");
                }

                entry.Payload = next;
                return next;
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DestroyAsync(string? handle, string? caller = null, CancellationToken cancellationToken = default)
    {
        if (!_format.TryParse(handle, out SessionId id))
        {
            throw Invalid(handle);
        }

        if (_registry.FindEntry(id) is not { } entry)
        {
            await AnswerEndedAsync<bool>(id, handle, caller, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!IsOwnedBy(entry, caller))
        {
            throw Foreign(handle);
        }

        if (await _registry.EndAsync(id, ExpiryReason.Deleted, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        // Someone else ended it first (or it was overdue and has now ended for that): say how it ended.
        SessionLookup lookup = await _registry.LookupAsync(id, cancellationToken).ConfigureAwait(false);
        await AnswerNotLiveAsync<bool>(lookup, id, handle, caller, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<bool> EndAsync(string? handle, ExpiryReason reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reason);
        return _format.TryParse(handle, out SessionId id)
            ? _registry.EndAsync(id, reason, cancellationToken)
            : new ValueTask<bool>(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<HandleInfo>> ListAsync(string? caller, CancellationToken cancellationToken = default)
    {
        if (caller is null)
        {
            return [];
        }

        var live = new List<HandleInfo>();
        foreach (SessionEntry entry in _owners.Of(caller))
        {
            SessionLookup lookup = await _registry.LookupAsync(entry.Id, cancellationToken).ConfigureAwait(false);
            if (lookup.TryGetSession(out SessionInfo session))
            {
                live.Add(HandleInfo.Of(session, _kind));
            }
        }

        live.Sort(HandleInfo.CompareByCreation);
        return live;
    }

    /// <inheritdoc />
    public ValueTask<int> SweepAsync(CancellationToken cancellationToken = default) => _registry.SweepAsync(cancellationToken);

    /// <inheritdoc />
    public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) => _registry.CountAsync(cancellationToken);

    /// <summary>Disposes the registry and the meter the store created, if any.</summary>
    public void Dispose()
    {
        _registry.Dispose();
        _meters.Dispose();
    }

    private static bool IsOwnedBy(SessionEntry entry, string? caller) =>
        string.Equals(entry.Owner, caller, StringComparison.Ordinal);

    // The state is replaced whole (a boxed value for a struct state), so reading it needs no lock and never tears.
    private static TState Read(SessionEntry entry) => (TState)entry.Payload!;

    private async ValueTask<TState> AwaitUseAsync(
        ValueTask<SessionLookup> touched, SessionEntry entry, string handle, string? caller, CancellationToken cancellationToken)
    {
        SessionLookup lookup = await touched.ConfigureAwait(false);
        return lookup.IsActive
            ? Read(entry)
            : await AnswerNotLiveAsync<TState>(lookup, entry.Id, handle, caller, cancellationToken).ConfigureAwait(false);
    }

    // The registry said the handle is not live. Its tombstone (from the ended entry or the ledger) is the answer when
    // it is the caller's; otherwise the ledger is asked.
    private ValueTask<T> AnswerNotLiveAsync<T>(
        SessionLookup lookup, SessionId id, string handle, string? caller, CancellationToken cancellationToken) =>
        lookup.TryGetExpiry(out ExpiredSession? ended)
            ? ValueTask.FromException<T>(EndedFor(handle, ended, caller))
            : AnswerEndedAsync<T>(id, handle, caller, cancellationToken);

    private async ValueTask<T> AnswerEndedAsync<T>(SessionId id, string handle, string? caller, CancellationToken cancellationToken)
    {
        ExpiredSession? ended = await _ledger.FindAsync(id, cancellationToken).ConfigureAwait(false);
        throw ended is null
            ? HandleUnavailableException.NotFound(_kind.Name, handle, _kind.CreateToolName)
            : EndedFor(handle, ended, caller);
    }

    // An ended handle's reason and instant are told to its owner only; anyone else hears "not known", as for a live one.
    private HandleUnavailableException EndedFor(string handle, ExpiredSession ended, string? caller) =>
        string.Equals(ended.Owner, caller, StringComparison.Ordinal) ? Expired(handle, ended) : Foreign(handle);

    private HandleUnavailableException Expired(string handle, ExpiredSession ended) =>
        HandleUnavailableException.Expired(_kind.Name, handle, ended.Reason, ended.ExpiredAt, _kind.CreateToolName);

    private HandleUnavailableException Invalid(string? handle) =>
        HandleUnavailableException.Invalid(_kind.Name, handle, _kind.CreateToolName);

    // Another user's handle is answered exactly as an unknown one, and left untouched.
    private HandleUnavailableException Foreign(string handle)
    {
        if (_logger.IsEnabled(LogLevel.Warning))
        {
            HandleLog.HandleOwnerMismatch(_logger, _kind.Name, HandleText.Mask(handle));
        }

        return HandleUnavailableException.NotFound(_kind.Name, handle, _kind.CreateToolName);
    }

    private async ValueTask EndOverdueOfAsync(string owner, CancellationToken cancellationToken)
    {
        foreach (SessionEntry entry in _owners.Of(owner))
        {
            // A lookup ends a handle that is past its deadline; the end gives its count back.
            await _registry.LookupAsync(entry.Id, cancellationToken).ConfigureAwait(false);
        }
    }

    // Runs once per handle, after the registry recorded its tombstone (which carries the owner).
    private void OnEnded(ExpiredSession ended)
    {
        if (ended.Owner is not null)
        {
            _owners.Release(ended.Owner);
        }
    }

    private void Unreserve(HandleOwner? record)
    {
        if (record is not null)
        {
            _owners.Release(record);
        }
    }

    private sealed class EndListener(InMemoryHandleStore<TState> store) : ISessionLifecycleObserver
    {
        public void OnSessionStarted(SessionInfo session)
        {
        }

        public void OnSessionEnded(ExpiredSession session) => store.OnEnded(session);
    }
}
