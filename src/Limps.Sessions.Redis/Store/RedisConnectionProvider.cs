using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>
/// The connection the store uses: the one given to <c>UseRedis</c>, else an <see cref="IConnectionMultiplexer"/>
/// registered in the container, else one opened from <see cref="RedisSessionStoreOptions.Configuration"/> (owned and
/// disposed here). An opened connection does not fail start-up when Redis is down and reconnects by itself, fails
/// commands at once while disconnected (so callers answer 503 instead of queueing), and schedules its socket work on
/// the thread pool.
/// </summary>
internal sealed class RedisConnectionProvider : IDisposable
{
    private readonly bool _owned;

    public RedisConnectionProvider(IServiceProvider services, IOptions<RedisSessionStoreOptions> options, IConnectionMultiplexer? given)
    {
        if (given is not null)
        {
            Connection = given;
            return;
        }

        if (services.GetService<IConnectionMultiplexer>() is { } registered)
        {
            Connection = registered;
            return;
        }

        string configuration = options.Value.Configuration
            ?? throw new InvalidOperationException(
                $"Limps.Sessions.Redis needs a connection: pass one to UseRedis, register an IConnectionMultiplexer, or set "
                + $"{RedisSessionStoreOptions.SectionName}:{nameof(RedisSessionStoreOptions.Configuration)}.");
        ConfigurationOptions config = ConfigurationOptions.Parse(configuration);
        config.AbortOnConnectFail = false;
        config.BacklogPolicy = BacklogPolicy.FailFast;

        // The connection's socket work runs on the .NET thread pool, not on StackExchange.Redis's own dedicated threads:
        // every command would otherwise wake one of those threads to write it and another to read its answer, which
        // under load was most of the extra CPU a request on Redis cost the host (benchmarks/PROFILE.md). Nothing here
        // blocks on Redis synchronously, and the answers continue on the thread pool either way.
        config.SocketManager ??= SocketManager.ThreadPool;
        Connection = ConnectionMultiplexer.Connect(config);
        _owned = true;
    }

    public IConnectionMultiplexer Connection { get; }

    public void Dispose()
    {
        if (_owned)
        {
            Connection.Dispose();
        }
    }
}
