using System.Diagnostics;
using System.Text;
using Limps.Sessions.RedisProcesses;

namespace Limps.Sessions.Redis.Tests.Infrastructure;

/// <summary>
/// A real <c>redis-server</c> on 127.0.0.1 and a free port, started by the tests themselves and stopped by its PID.
/// It keeps nothing on disk on its own (<c>--save "" --appendonly no</c>); a test that restarts it can ask for an
/// explicit <c>SAVE</c> first, so the restarted server loads what was there.
/// </summary>
public sealed class RedisServerProcess : IAsyncDisposable
{
    private readonly string _executable;
    private readonly string _directory;
    private Process? _process;

    private RedisServerProcess(string executable, string directory, int port)
    {
        _executable = executable;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Finds redis-server (LIMPS_REDIS_SERVER, then PATH, then the usual places) or fails with how to get it.</summary>
    public static string FindExecutable() =>
        RedisExecutables.FindServer()
        ?? throw new InvalidOperationException(
            "The Redis tests need a real redis-server and none was found (looked at LIMPS_REDIS_SERVER and PATH): "
            + RedisExecutables.HowToInstall + ".");

    public static async Task<RedisServerProcess> StartAsync()
    {
        string executable = FindExecutable();
        string directory = Path.Combine(Path.GetTempPath(), "limps-redis-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var server = new RedisServerProcess(executable, directory, LoopbackPorts.Free());
        await server.StartProcessAsync();
        return server;
    }

    /// <summary>Starts the server again on the same port and directory (it loads a dump an explicit SAVE left).</summary>
    public Task RestartAsync() => IsRunning ? Task.CompletedTask : StartProcessAsync();

    /// <summary>Kills the server by its PID and waits for it to exit.</summary>
    public async Task StopAsync()
    {
        Process? process = Interlocked.Exchange(ref _process, null);
        if (process is not null)
        {
            await KillAsync(process);
        }
    }

    /// <summary>Kills a server process by its PID, waits (at most 10 s) for it to exit, and disposes it.</summary>
    internal static async Task KillAsync(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(wait.Token);
        }
        finally
        {
            process.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }

    private async Task StartProcessAsync()
    {
        ProcessStartInfo info = RedisServerStart.Info(_executable, Port, _directory, "--dbfilename", "dump.rdb");
        var output = new StringBuilder();
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {_executable}.");
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (!await PingsAsync())
        {
            if (process.HasExited || deadline.IsCancellationRequested)
            {
                await StopAsync();
                string log;
                lock (output)
                {
                    log = output.ToString();
                }

                throw new InvalidOperationException($"redis-server did not start on {Endpoint}: {log}");
            }

            await Task.Delay(20, CancellationToken.None);
        }
    }

    private async Task<bool> PingsAsync() => await RespQuery.AskAsync(Port, CancellationToken.None, "PING") == "PONG";
}
