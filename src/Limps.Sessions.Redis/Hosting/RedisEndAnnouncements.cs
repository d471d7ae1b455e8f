using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>
/// Listens on the store's Redis channel for the ends other replicas announce and hands them to this replica's
/// observers (so, for example, this replica's MCP server releases its copy of a session another replica ended).
/// Pub/sub is best effort: an announcement sent while this replica is disconnected is not seen.
/// </summary>
internal sealed class RedisEndAnnouncements(
    RedisSessionRegistry registry,
    ILogger<RedisEndAnnouncements> logger) : IHostedService
{
    private ChannelMessageQueue? _queue;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!registry.Store.RedisOptions.AnnounceEnds)
        {
            return;
        }

        IConnectionMultiplexer connection = registry.Store.Connection;
        connection.ConnectionRestored += OnConnectionRestored;
        await SubscribeAsync().ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        registry.Store.Connection.ConnectionRestored -= OnConnectionRestored;
        ChannelMessageQueue? queue = Interlocked.Exchange(ref _queue, null);
        if (queue is not null)
        {
            try
            {
                await queue.UnsubscribeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (RedisSessionStore.IsUnavailable(ex))
            {
                // Going away anyway.
            }
        }
    }

    private async Task SubscribeAsync()
    {
        if (Volatile.Read(ref _queue) is not null)
        {
            return;
        }

        try
        {
            ChannelMessageQueue queue = await registry.Store.Connection.GetSubscriber()
                .SubscribeAsync(registry.Keys.EndedChannel).ConfigureAwait(false);
            if (Interlocked.CompareExchange(ref _queue, queue, null) is not null)
            {
                await queue.UnsubscribeAsync().ConfigureAwait(false);
                return;
            }

            queue.OnMessage(message =>
            {
                if (message.Message.HasValue)
                {
                    registry.OnAnnouncement((byte[])message.Message!);
                }
            });
        }
        catch (Exception ex) when (RedisSessionStore.IsUnavailable(ex))
        {
            RedisLog.SubscribeFailed(logger, ex);
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e) => _ = SubscribeAsync();
}
