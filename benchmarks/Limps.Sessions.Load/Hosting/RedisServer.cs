using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Limps.Sessions.Load.Hosting;

/// <summary>
/// A throwaway redis-server on a free loopback port (no persistence), started as a child process and stopped by its
/// process id. Speaks just enough RESP to ask whether it is up and how many keys it holds.
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
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            path = Path.Combine(dir, "redis-server");
            if (File.Exists(path))
            {
                return true;
            }
        }

        path = string.Empty;
        return false;
    }

    public static async Task<RedisServer> StartAsync(string redisServerPath, CancellationToken cancellationToken)
    {
        int port = FreePort.Next();
        var info = new ProcessStartInfo(redisServerPath)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in new[]
        {
            "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", string.Empty,
            "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning",
        })
        {
            info.ArgumentList.Add(arg);
        }

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

            if (await server.CommandAsync("PING", cancellationToken).ConfigureAwait(false) == "+PONG")
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
        string? answer = await CommandAsync("DBSIZE", cancellationToken).ConfigureAwait(false);
        return answer is [':', ..] && long.TryParse(answer.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : -1;
    }

    public async ValueTask DisposeAsync()
    {
        await ChildProcesses.StopAsync(_process, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        _process.Dispose();
    }

    // One inline command on a fresh connection; the first line of the answer, or null when nothing answered.
    private async Task<string?> CommandAsync(string command, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port, cancellationToken).ConfigureAwait(false);
            NetworkStream stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), cancellationToken).ConfigureAwait(false);
            byte[] buffer = new byte[128];
            int length = 0;
            while (length < buffer.Length)
            {
                int read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                length += read;
                int end = Array.IndexOf(buffer, (byte)'\n', 0, length);
                if (end >= 0)
                {
                    return Encoding.ASCII.GetString(buffer, 0, end).TrimEnd('\r');
                }
            }

            return null;
        }
        catch (SocketException)
        {
            return null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
