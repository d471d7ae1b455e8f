using System.Diagnostics.Metrics;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using NodaTime;
using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>
/// The <see cref="IHandleStoreFactory"/> that <c>UseRedis()</c> registers: a <see cref="RedisHandleStore{TState}"/> per
/// kind, over the sessions' Redis connection and store options, so every kind registered with
/// <c>AddLimpsHandles&lt;TState&gt;(...)</c> is shared by every replica exactly when sessions are.
/// </summary>
/// <remarks>
/// Redis keeps states as JSON, so each kind must be registered with its state's <see cref="JsonTypeInfo{T}"/>
/// (<c>AddLimpsHandles("basket", MyJsonContext.Default.Basket, ...)</c>); a kind registered without one fails when the
/// host starts, with a message that says what to pass.
/// </remarks>
public sealed class RedisHandleStoreFactory : IHandleStoreFactory
{
    private readonly Func<IConnectionMultiplexer> _connection;
    private readonly RedisSessionStoreOptions _redisOptions;
    private readonly IClock? _clock;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly IMeterFactory? _meterFactory;

    /// <summary>Creates a factory over a connection.</summary>
    /// <param name="connection">The Redis connection; not disposed by the factory or its stores.</param>
    /// <param name="redisOptions">The Redis store options (key prefix, timeouts); <see langword="null"/> for the defaults.</param>
    /// <param name="clock">The clock every expiry decision reads; <see langword="null"/> for <see cref="SystemClock.Instance"/>.</param>
    /// <param name="loggerFactory">Where the stores log; handles are always masked.</param>
    /// <param name="meterFactory">Creates the stores' meters (tagged with the kind).</param>
    public RedisHandleStoreFactory(
        IConnectionMultiplexer connection,
        RedisSessionStoreOptions? redisOptions = null,
        IClock? clock = null,
        ILoggerFactory? loggerFactory = null,
        IMeterFactory? meterFactory = null)
        : this(Given(connection), redisOptions, clock, loggerFactory, meterFactory)
    {
    }

    // The container's registration connects only when the first kind's store is built.
    internal RedisHandleStoreFactory(
        Func<IConnectionMultiplexer> connection,
        RedisSessionStoreOptions? redisOptions,
        IClock? clock,
        ILoggerFactory? loggerFactory,
        IMeterFactory? meterFactory)
    {
        _connection = connection;
        _redisOptions = redisOptions ?? new RedisSessionStoreOptions();
        _clock = clock;
        _loggerFactory = loggerFactory;
        _meterFactory = meterFactory;
    }

    /// <inheritdoc />
    /// <remarks>
    /// As with the in-memory factory, the host's session lifecycle observers are not given to handle stores: they act
    /// on sessions, and a handle is not a session.
    /// </remarks>
    /// <exception cref="InvalidOperationException">
    /// <paramref name="stateTypeInfo"/> is <see langword="null"/>: Redis keeps states as JSON and needs the state's contract.
    /// </exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">A setting of the kind is not valid.</exception>
    public IHandleStore<TState> Create<TState>(HandleKindOptions kind, JsonTypeInfo<TState>? stateTypeInfo)
    {
        ArgumentNullException.ThrowIfNull(kind);
        if (stateTypeInfo is null)
        {
            string type = typeof(TState).Name;
            throw new InvalidOperationException(
                $"The handle kind '{kind.Name}' is kept in Redis, which stores each {type} as JSON, but it was registered without a "
                + $"JsonTypeInfo<{type}>. Register it with AddLimpsHandles<{type}>(\"{kind.Name}\", <JsonSerializerContext>.Default.{type}, ...), "
                + $"passing the JsonTypeInfo of a source-generated context that lists {type} ([JsonSerializable(typeof({type}))]).");
        }

        return new RedisHandleStore<TState>(
            _connection(), kind, stateTypeInfo, _redisOptions, _clock, observers: null, _loggerFactory, _meterFactory);
    }

    private static Func<IConnectionMultiplexer> Given(IConnectionMultiplexer connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return () => connection;
    }
}
