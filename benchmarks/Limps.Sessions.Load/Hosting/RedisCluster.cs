using System.Diagnostics;
using System.Globalization;
using Limps.Sessions.RedisProcesses;

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
        string cli = RedisExecutables.FindCli(redisServerPath)
            ?? throw new InvalidOperationException($"redis-cli is not next to {redisServerPath} (package redis-tools).");

        string directory = Path.Combine(Path.GetTempPath(), "limps-load-cluster-" + Guid.NewGuid().ToString("N"));
        var cluster = new RedisCluster(directory, LoopbackPorts.FreeForCluster(Masters));
        try
        {
            foreach (int port in cluster.Ports)
            {
                cluster.StartNode(redisServerPath, port);
            }

            foreach (int port in cluster.Ports)
            {
                await WaitAsync(async () => await RespQuery.AskAsync(port, cancellationToken, "PING").ConfigureAwait(false) == "PONG", cancellationToken).ConfigureAwait(false);
            }

            using (Process create = ChildProcesses.Start(RedisClusterCreate.Info(cli, cluster.Ports, replicasPerMaster: 0)))
            {
                await RedisClusterCreate.ConfirmAsync(create, cancellationToken).ConfigureAwait(false);
            }

            foreach (int port in cluster.Ports)
            {
                await WaitAsync(
                    async () => (await RespQuery.AskAsync(port, cancellationToken, "CLUSTER", "INFO").ConfigureAwait(false))?.Contains("cluster_state:ok", StringComparison.Ordinal) == true,
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
            string? answer = await RespQuery.AskAsync(port, cancellationToken, "DBSIZE").ConfigureAwait(false);
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
        ProcessStartInfo info = RedisServerStart.Info(
            redisServerPath,
            port,
            directory,
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "3600000");
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
}
