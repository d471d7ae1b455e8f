using System.Diagnostics;
using System.Globalization;
using Limps.Sessions.RedisProcesses;

namespace Limps.Sessions.Load.Hosting;

/// <summary>
/// A throwaway redis-server on a free loopback port (no persistence), and on request also on a Unix domain socket in a
/// directory of its own, started as a child process and stopped by its process id. Asks it over RESP (on its port)
/// whether it is up and how many keys it holds.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string? _socketDirectory;

    private RedisServer(Process process, int port, string? socketDirectory)
    {
        _process = process;
        Port = port;
        _socketDirectory = socketDirectory;
    }

    public int Port { get; }

    /// <summary>The Unix domain socket it also listens on, or <see langword="null"/>.</summary>
    public string? SocketPath => _socketDirectory is null ? null : Path.Combine(_socketDirectory, "redis.sock");

    /// <summary>The StackExchange.Redis configuration string that reaches it: <c>!</c> and its socket's path, else its port.</summary>
    public string Configuration => SocketPath is { } socket ? "!" + socket : Loopback;

    /// <summary>Where it listens, for the run's log.</summary>
    public string Address => SocketPath is { } socket ? Loopback + " and " + socket : Loopback;

    private string Loopback => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    public static bool IsInstalled(out string path)
    {
        path = RedisExecutables.FindServer() ?? string.Empty;
        return path.Length > 0;
    }

    /// <summary>Starts one and waits (at most 20 s) until it answers.</summary>
    /// <param name="redisServerPath">The redis-server binary.</param>
    /// <param name="unixSocket">Whether it also listens on a Unix domain socket, readable by this user only.</param>
    /// <param name="cancellationToken">Stops the wait for it to answer.</param>
    public static async Task<RedisServer> StartAsync(
        string redisServerPath, bool unixSocket, CancellationToken cancellationToken)
    {
        int port = LoopbackPorts.Free();
        string? socketDirectory = unixSocket ? Directory.CreateTempSubdirectory("limps-load-redis-").FullName : null;
        string[] more = socketDirectory is null
            ? ["--protected-mode", "yes"]
            : ["--protected-mode", "yes", "--unixsocket", Path.Combine(socketDirectory, "redis.sock"),
                "--unixsocketperm", "700"];
        ProcessStartInfo info = RedisServerStart.Info(redisServerPath, port, directory: null, more);
        Process process = ChildProcesses.Start(info);
        process.OutputDataReceived += static (_, _) => { };
        process.ErrorDataReceived += static (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new RedisServer(process, port, socketDirectory);
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (process.HasExited)
            {
                break;
            }

            if (await RespQuery.AskAsync(port, cancellationToken, "PING").ConfigureAwait(false) == "PONG"
                && (server.SocketPath is null || File.Exists(server.SocketPath)))
            {
                return server;
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        await server.DisposeAsync().ConfigureAwait(false);
        throw new InvalidOperationException($"redis-server did not answer on 127.0.0.1:{port}.");
    }

    public Task PauseAsync() => ChildProcesses.SignalAsync(_process, "STOP");

    public Task ResumeAsync() => ChildProcesses.SignalAsync(_process, "CONT");

    /// <summary>How many keys the server holds (DBSIZE), or -1 when it does not answer.</summary>
    public async Task<long> KeyCountAsync(CancellationToken cancellationToken)
    {
        string? answer = await RespQuery.AskAsync(Port, cancellationToken, "DBSIZE").ConfigureAwait(false);
        return long.TryParse(answer, NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : -1;
    }

    public async ValueTask DisposeAsync()
    {
        await ChildProcesses.StopAsync(_process, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        _process.Dispose();
        if (_socketDirectory is not null)
        {
            Directory.Delete(_socketDirectory, recursive: true);
        }
    }
}
