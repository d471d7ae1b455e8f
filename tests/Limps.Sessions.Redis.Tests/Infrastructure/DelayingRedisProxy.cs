using System.Net;
using System.Net.Sockets;

namespace Limps.Sessions.Redis.Tests.Infrastructure;

/// <summary>
/// A loopback TCP proxy in front of a real redis-server that can hold Redis's replies back: commands reach Redis at
/// once (so it runs them), while their answers wait until the test lets them through, or arrive late by a set delay.
/// This is how a reply that comes after the client's timeout is made for real.
/// </summary>
public sealed class DelayingRedisProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _clients = [];
    private readonly Lock _lock = new();
    private TaskCompletionSource _open = Opened();
    private TimeSpan _delay;

    private DelayingRedisProxy(IPEndPoint target)
    {
        _target = target;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _ = AcceptAsync();
    }

    public string Endpoint => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Gets the commands clients sent through the proxy (what Redis received, in order).</summary>
    public RespCommandLog Sent { get; } = new();

    /// <summary>How many reply chunks are waiting.</summary>
    public int Held => Volatile.Read(ref _held);

    private int _held;

    public static DelayingRedisProxy Start(string redisEndpoint)
    {
        string[] parts = redisEndpoint.Split(':');
        return new DelayingRedisProxy(new IPEndPoint(IPAddress.Parse(parts[0]), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>From now on Redis's replies wait (commands still reach Redis).</summary>
    public void HoldReplies()
    {
        lock (_lock)
        {
            if (_open.Task.IsCompleted)
            {
                _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    /// <summary>Lets every held reply through, in order, and stops holding.</summary>
    public void ReleaseReplies()
    {
        lock (_lock)
        {
            _open.TrySetResult();
        }
    }

    /// <summary>Cuts every connection through the proxy, as a network failure would (new ones are still accepted).</summary>
    public void Disconnect()
    {
        lock (_lock)
        {
            foreach (TcpClient client in _clients)
            {
                client.Client.Close(0);
                client.Dispose();
            }

            _clients.Clear();
        }
    }

    /// <summary>Delays every reply by <paramref name="delay"/> (zero: none).</summary>
    public void DelayReplies(TimeSpan delay) => _delay = delay;

    public async ValueTask DisposeAsync()
    {
        ReleaseReplies();
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_lock)
        {
            foreach (TcpClient client in _clients)
            {
                client.Dispose();
            }
        }

        _stop.Dispose();
    }

    private static TaskCompletionSource Opened()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var server = new TcpClient();
            try
            {
                await server.ConnectAsync(_target, _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException)
            {
                client.Dispose();
                server.Dispose();
                continue;
            }

            lock (_lock)
            {
                _clients.Add(client);
                _clients.Add(server);
            }

            _ = PumpAsync(client.GetStream(), server.GetStream(), hold: false, Sent.NewReader());
            _ = PumpAsync(server.GetStream(), client.GetStream(), hold: true, reader: null);
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool hold, RespCommandLog.Reader? reader)
    {
        try
        {
            while (true)
            {
                byte[] buffer = new byte[16 * 1024];
                int read = await from.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    break;
                }

                reader?.Feed(buffer.AsSpan(0, read));

                if (hold)
                {
                    Interlocked.Increment(ref _held);
                    Task open;
                    lock (_lock)
                    {
                        open = _open.Task;
                    }

                    await open.WaitAsync(_stop.Token);
                    if (_delay > TimeSpan.Zero)
                    {
                        await Task.Delay(_delay, _stop.Token);
                    }

                    Interlocked.Decrement(ref _held);
                }

                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The other side went away, or the proxy stops.
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }
}
