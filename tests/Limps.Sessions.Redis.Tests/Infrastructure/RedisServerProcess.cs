using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

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
    public static string FindExecutable()
    {
        string? configured = Environment.GetEnvironmentVariable("LIMPS_REDIS_SERVER");
        if (!string.IsNullOrEmpty(configured) && File.Exists(configured))
        {
            return configured;
        }

        IEnumerable<string> candidates = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "redis-server"))
            .Concat(["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server"]);
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                "The Redis tests need a real redis-server and none was found (looked at LIMPS_REDIS_SERVER and PATH). "
                + "Install it with `apt-get update && apt-get install -y redis-server` (./test.sh and .ci/run do this) "
                + "or point LIMPS_REDIS_SERVER at the binary.");
    }

    public static async Task<RedisServerProcess> StartAsync()
    {
        string executable = FindExecutable();
        string directory = Path.Combine(Path.GetTempPath(), "limps-redis-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var server = new RedisServerProcess(executable, directory, FreePort());
        await server.StartProcessAsync();
        return server;
    }

    /// <summary>Starts the server again on the same port and directory (it loads a dump an explicit SAVE left).</summary>
    public Task RestartAsync() => IsRunning ? Task.CompletedTask : StartProcessAsync();

    /// <summary>Kills the server by its PID and waits for it to exit.</summary>
    public async Task StopAsync()
    {
        Process? process = Interlocked.Exchange(ref _process, null);
        if (process is null)
        {
            return;
        }

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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private async Task StartProcessAsync()
    {
        var info = new ProcessStartInfo(_executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _directory,
        };
        foreach (string arg in new[]
                 {
                     "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                     "--save", string.Empty, "--appendonly", "no", "--daemonize", "no", "--dir", _directory,
                     "--dbfilename", "dump.rdb", "--loglevel", "warning",
                 })
        {
            info.ArgumentList.Add(arg);
        }

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

    private async Task<bool> PingsAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            NetworkStream stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            byte[] buffer = new byte[16];
            int read = await stream.ReadAsync(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
