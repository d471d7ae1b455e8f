using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Limps.Sessions.Load.Hosting;

/// <summary>
/// A throwaway Redis Cluster of three masters (no replicas: on a two-core machine a replica's copying would be charged
/// to the cluster's side of the comparison) on loopback, joined with <c>redis-cli --cluster create</c>, each node a
/// child process stopped by its process id. Node ports are below 55536 with their bus port (+10000) free too. The node
/// timeout is an hour: the benchmark freezes every node between the variant's rounds, and a shorter timeout would have
/// the nodes mark each other failed when they are thawed.
/// </summary>
internal sealed class RedisCluster : IAsyncDisposable
{
    private const int Masters = 3;

    private readonly List<Process> _processes = [];
    private readonly string _directory;

    private RedisCluster(string directory, int[] ports)
    {
        _directory = directory;
        Ports = ports;
    }

    public IReadOnlyList<int> Ports { get; }

    /// <summary>The StackExchange.Redis configuration string: every node, comma-separated.</summary>
    public string Configuration => string.Join(",", Ports.Select(port => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port}")));

    public static async Task<RedisCluster> StartAsync(string redisServerPath, CancellationToken cancellationToken)
    {
        string cli = Path.Combine(Path.GetDirectoryName(redisServerPath)!, "redis-cli");
        if (!File.Exists(cli))
        {
            throw new InvalidOperationException($"redis-cli is not next to {redisServerPath} (package redis-tools).");
        }

        string directory = Path.Combine(Path.GetTempPath(), "limps-load-cluster-" + Guid.NewGuid().ToString("N"));
        var cluster = new RedisCluster(directory, ClusterPorts(Masters));
        try
        {
            foreach (int port in cluster.Ports)
            {
                cluster.StartNode(redisServerPath, port);
            }

            foreach (int port in cluster.Ports)
            {
                await WaitAsync(async () => await QueryAsync(port, "PING", cancellationToken).ConfigureAwait(false) == "PONG", cancellationToken).ConfigureAwait(false);
            }

            var info = new ProcessStartInfo(cli)
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            info.ArgumentList.Add("--cluster");
            info.ArgumentList.Add("create");
            foreach (int port in cluster.Ports)
            {
                info.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port}"));
            }

            info.ArgumentList.Add("--cluster-replicas");
            info.ArgumentList.Add("0");
            using (Process create = ChildProcesses.Start(info))
            {
                Task<string> output = create.StandardOutput.ReadToEndAsync(cancellationToken);
                Task<string> errors = create.StandardError.ReadToEndAsync(cancellationToken);
                await create.StandardInput.WriteLineAsync("yes").ConfigureAwait(false);
                create.StandardInput.Close();
                await create.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                if (create.ExitCode != 0)
                {
                    throw new InvalidOperationException($"redis-cli --cluster create failed: {await output.ConfigureAwait(false)} {await errors.ConfigureAwait(false)}");
                }
            }

            foreach (int port in cluster.Ports)
            {
                await WaitAsync(
                    async () => (await QueryAsync(port, "CLUSTER INFO", cancellationToken).ConfigureAwait(false))?.Contains("cluster_state:ok", StringComparison.Ordinal) == true,
                    cancellationToken).ConfigureAwait(false);
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task PauseAsync()
    {
        foreach (Process process in _processes)
        {
            await ChildProcesses.SignalAsync(process, "STOP").ConfigureAwait(false);
        }
    }

    public async Task ResumeAsync()
    {
        foreach (Process process in _processes)
        {
            await ChildProcesses.SignalAsync(process, "CONT").ConfigureAwait(false);
        }
    }

    /// <summary>How many keys the masters hold together, or -1 when one does not answer.</summary>
    public async Task<long> KeyCountAsync(CancellationToken cancellationToken)
    {
        long total = 0;
        foreach (int port in Ports)
        {
            string? answer = await QueryAsync(port, "DBSIZE", cancellationToken).ConfigureAwait(false);
            if (!long.TryParse(answer, NumberStyles.None, CultureInfo.InvariantCulture, out long n))
            {
                return -1;
            }

            total += n;
        }

        return total;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (Process process in _processes)
        {
            await ChildProcesses.StopAsync(process, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            process.Dispose();
        }

        _processes.Clear();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }

    private void StartNode(string redisServerPath, int port)
    {
        string directory = Path.Combine(_directory, port.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(directory);
        var info = new ProcessStartInfo(redisServerPath)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        foreach (string arg in new[]
        {
            "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
            "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "3600000", "--save", string.Empty,
            "--appendonly", "no", "--daemonize", "no", "--dir", directory, "--loglevel", "warning",
        })
        {
            info.ArgumentList.Add(arg);
        }

        Process process = ChildProcesses.Start(info);
        process.OutputDataReceived += static (_, _) => { };
        process.ErrorDataReceived += static (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition().ConfigureAwait(false))
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new InvalidOperationException("The Redis Cluster did not get ready in 30 s.");
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    // Distinct random ports in 20000..45535, each free with its cluster bus port (+10000).
    private static int[] ClusterPorts(int count)
    {
        var ports = new List<int>();
        while (ports.Count < count)
        {
            int port = Random.Shared.Next(20_000, 45_536);
            if (ports.All(p => Math.Abs(p - port) != 0 && Math.Abs(p - port) != 10_000) && IsFree(port) && IsFree(port + 10_000))
            {
                ports.Add(port);
            }
        }

        return [.. ports];
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    // One inline command on a fresh connection: a simple or integer reply's text, or a bulk reply's first chunk.
    private static async Task<string?> QueryAsync(int port, string command, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken).ConfigureAwait(false);
            NetworkStream stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), cancellationToken).ConfigureAwait(false);
            byte[] buffer = new byte[8192];
            int read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            string text = Encoding.ASCII.GetString(buffer, 0, read);
            int end = text.IndexOf("\r\n", StringComparison.Ordinal);
            if (read == 0 || end < 0)
            {
                return null;
            }

            return text[0] switch
            {
                '+' or ':' => text[1..end],
                '$' => text[(end + 2)..],
                _ => null,
            };
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            return null;
        }
    }
}
