using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Limps.Sessions.RedisProcesses;
using StackExchange.Redis;

namespace Limps.Sessions.Benchmarks;

/// <summary>
/// A throwaway <c>redis-server</c> for one benchmark class: 127.0.0.1 on a free port, nothing on disk, stopped by its
/// process id on <see cref="Dispose"/>. Also counts the commands clients send it, so a benchmark can show how many
/// round trips an operation takes instead of claiming it.
/// </summary>
internal sealed class LocalRedis : IDisposable
{
    private readonly Process _server;

    private LocalRedis(Process server, ConnectionMultiplexer connection, int port)
    {
        _server = server;
        Connection = connection;
        Port = port;
    }

    /// <summary>Gets a connection to the server (disposed with it).</summary>
    public ConnectionMultiplexer Connection { get; }

    /// <summary>Gets the server's port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>Says whether a redis-server binary is available, and if not, why.</summary>
    /// <param name="why">The reason the Redis benchmarks cannot run.</param>
    /// <returns><see langword="true"/> when they can run.</returns>
    public static bool CanRun(out string why)
    {
        why = RedisExecutables.FindServer() is null
            ? "Redis benchmarks skipped: redis-server not found (apt-get install -y redis-server, or set LIMPS_REDIS_SERVER)."
            : string.Empty;
        return why.Length == 0;
    }

    /// <summary>Starts a server and connects to it, waiting until it answers.</summary>
    /// <returns>The running server.</returns>
    /// <exception cref="InvalidOperationException">There is no redis-server, or it did not start.</exception>
    public static LocalRedis Start()
    {
        string executable = RedisExecutables.FindServer() ?? throw new InvalidOperationException(CanRun(out string why) ? string.Empty : why);
        int port = LoopbackPorts.Free();
        ProcessStartInfo start = RedisServerStart.Info(executable, port, directory: null);
        Process server = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        var options = ConfigurationOptions.Parse($"127.0.0.1:{port}");
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.Default;
        ConnectionMultiplexer connection = ConnectionMultiplexer.Connect(options);
        var ready = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                connection.GetDatabase().Ping();
                break;
            }
            catch (RedisConnectionException) when (ready.Elapsed < TimeSpan.FromSeconds(15))
            {
                Task.Delay(20).Wait();
            }
        }

        return new LocalRedis(server, connection, port);
    }

    /// <summary>
    /// Runs <paramref name="operation"/> <paramref name="times"/> times, one after another, and counts what the server
    /// saw meanwhile through <c>MONITOR</c> (on a connection of its own): the commands clients sent (each one a round
    /// trip unless pipelined) apart from the commands scripts ran inside the server, which <c>MONITOR</c> marks
    /// <c>[0 lua]</c>. The window is bracketed by two <c>ECHO</c> markers, so nothing before or after it is counted.
    /// </summary>
    /// <param name="times">How many operations to run.</param>
    /// <param name="operation">One operation.</param>
    /// <returns>
    /// Commands sent per operation, which ones (for example <c>evalsha 1.00</c>), and the commands scripts ran inside
    /// the server per operation (for example <c>hmget 3.00</c>).
    /// </returns>
    public (double Sent, string SentBreakdown, string InScripts) CountCommands(int times, Func<Task> operation)
    {
        string marker = "limps-bench-" + Guid.NewGuid().ToString("N");
        // A server that stops answering fails the set-up instead of hanging it.
        using var monitor = new TcpClient { ReceiveTimeout = 30_000 };
        monitor.Connect(IPAddress.Loopback, Port);
        using NetworkStream stream = monitor.GetStream();
        using var reader = new StreamReader(stream, Encoding.UTF8);
        stream.Write("MONITOR\r\n"u8);
        if (reader.ReadLine() != "+OK")
        {
            throw new InvalidOperationException("redis-server did not accept MONITOR.");
        }

        IDatabase db = Connection.GetDatabase();
        db.Execute("ECHO", marker + "-start");
        for (int i = 0; i < times; i++)
        {
            operation().GetAwaiter().GetResult();
        }

        db.Execute("ECHO", marker + "-end");

        // Lines look like: +1701234567.123456 [0 127.0.0.1:35022] "evalsha" "..." (or [0 lua] inside a script).
        var sent = new Dictionary<string, int>(StringComparer.Ordinal);
        var inScripts = new Dictionary<string, int>(StringComparer.Ordinal);
        bool counting = false;
        while (reader.ReadLine() is { } line)
        {
            if (line.Contains(marker, StringComparison.Ordinal))
            {
                if (counting)
                {
                    break;
                }

                counting = true;
                continue;
            }

            int close = line.IndexOf(']', StringComparison.Ordinal);
            int open = line.IndexOf('"', close + 1);
            if (!counting || close < 0 || open < 0)
            {
                continue;
            }

            string command = line[(open + 1)..line.IndexOf('"', open + 1)].ToLowerInvariant();
            Dictionary<string, int> counts = line.AsSpan(0, close).EndsWith(" lua", StringComparison.Ordinal) ? inScripts : sent;
            counts[command] = counts.GetValueOrDefault(command) + 1;
        }

        string PerOperation(Dictionary<string, int> counts) => counts.Count == 0
            ? "none"
            : string.Join(", ", counts.OrderByDescending(c => c.Value).Select(c =>
                string.Create(CultureInfo.InvariantCulture, $"{c.Key} {c.Value / (double)times:F2}")));
        return (sent.Values.Sum() / (double)times, PerOperation(sent), PerOperation(inScripts));
    }

    public void Dispose()
    {
        Connection.Dispose();
        if (!_server.HasExited)
        {
            _server.Kill();
            _server.WaitForExit(10_000);
        }

        _server.Dispose();
    }
}
