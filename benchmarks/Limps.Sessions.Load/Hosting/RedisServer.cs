using System.Diagnostics;
using System.Globalization;
using Limps.Sessions.RedisProcesses;

namespace Limps.Sessions.Load.Hosting;

/// <summary>
/// A throwaway redis-server on a free loopback port (no persistence), started as a child process and stopped by its
/// process id. Asks it over RESP whether it is up and how many keys it holds.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private readonly Process _process;

    private RedisServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The StackExchange.Redis configuration string that reaches it.</summary>
    public string Configuration => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    public static bool IsInstalled(out string path)
    {
        path = RedisExecutables.FindServer() ?? string.Empty;
        return path.Length > 0;
    }

    public static async Task<RedisServer> StartAsync(string redisServerPath, CancellationToken cancellationToken)
    {
        int port = LoopbackPorts.Free();
        ProcessStartInfo info = RedisServerStart.Info(redisServerPath, port, directory: null, "--protected-mode", "yes");
        Process process = ChildProcesses.Start(info);
        process.OutputDataReceived += static (_, _) => { };
        process.ErrorDataReceived += static (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new RedisServer(process, port);
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (process.HasExited)
            {
                break;
            }

            if (await RespQuery.AskAsync(port, cancellationToken, "PING").ConfigureAwait(false) == "PONG")
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
    }
}
