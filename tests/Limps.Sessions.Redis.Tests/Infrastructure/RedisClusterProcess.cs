using System.Diagnostics;
using System.Globalization;
using Limps.Sessions.RedisProcesses;
using StackExchange.Redis;

namespace Limps.Sessions.Redis.Tests.Infrastructure;

/// <summary>
/// A real Redis Cluster on loopback, started by the tests: six <c>redis-server</c> processes in cluster mode (three
/// masters, one replica each), joined with <c>redis-cli --cluster create ... --cluster-replicas 1</c> (answering
/// <c>yes</c> on its standard input), ready when every node reports <c>cluster_state:ok</c> and every replica's link to
/// its master is up. Each node's cluster bus listens on its port + 10000, so ports are picked below 55536 with both free.
/// A short node timeout makes failover quick. Nodes are stopped by PID; the temp directory goes with the cluster.
/// </summary>
public sealed class RedisClusterProcess : IAsyncDisposable
{
    public const int NodeTimeoutMilliseconds = 1000;
    private const int NodeCount = 6;

    private readonly string _executable;
    private readonly string _directory;
    private readonly Dictionary<int, Process> _processes = [];

    private readonly bool _requireFullCoverage;

    private RedisClusterProcess(string executable, string directory, int[] ports, bool requireFullCoverage)
    {
        _executable = executable;
        _directory = directory;
        _requireFullCoverage = requireFullCoverage;
        Ports = ports;
    }

    public IReadOnlyList<int> Ports { get; }

    /// <summary>The seed list StackExchange.Redis takes: every node, comma-separated.</summary>
    public string Configuration => string.Join(",", Ports.Select(port => $"127.0.0.1:{port}"));

    /// <param name="requireFullCoverage">
    /// Redis's <c>cluster-require-full-coverage</c>: when on (Redis's default), every node refuses every command
    /// (<c>CLUSTERDOWN</c>) from the moment a master is marked failed until its replica is promoted; when off, the other
    /// masters' slots are served throughout.
    /// </param>
    public static async Task<RedisClusterProcess> StartAsync(bool requireFullCoverage = true)
    {
        // A port picked free can be taken by another process before the node binds it, and a loaded machine can be slow
        // to form the cluster: one more try, on other ports, before failing the tests.
        try
        {
            return await StartOnceAsync(requireFullCoverage);
        }
        catch (InvalidOperationException first)
        {
            TestContext.Progress.WriteLine($"The test cluster did not start ({first.Message}); trying once more on other ports.");
            return await StartOnceAsync(requireFullCoverage);
        }
    }

    private static async Task<RedisClusterProcess> StartOnceAsync(bool requireFullCoverage)
    {
        string executable = RedisServerProcess.FindExecutable();
        string cli = RedisExecutables.FindCli(executable)
            ?? throw new InvalidOperationException(
                $"The Redis Cluster tests need redis-cli next to {executable} (package redis-tools, installed with redis-server).");

        string directory = Path.Combine(Path.GetTempPath(), "limps-cluster-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var cluster = new RedisClusterProcess(executable, directory, LoopbackPorts.FreeForCluster(NodeCount), requireFullCoverage);
        try
        {
            foreach (int port in cluster.Ports)
            {
                cluster.StartNode(port);
            }

            foreach (int port in cluster.Ports)
            {
                await WaitAsync(async () => (await QueryAsync(port, "PING")) == "PONG", $"node {port} to answer");
            }

            await cluster.CreateAsync(cli);
            await cluster.WaitUntilReadyAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>A connection to the cluster as a host would open one (seeds, fail fast while a node is down).</summary>
    public ConnectionMultiplexer Connect()
    {
        var options = ConfigurationOptions.Parse(Configuration);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ConnectTimeout = 2_000;
        options.ConnectRetry = 1;
        options.ReconnectRetryPolicy = new LinearRetry(100);
        options.AllowAdmin = true;
        return ConnectionMultiplexer.Connect(options);
    }

    /// <summary>The port of the master that serves a key's slot now, asked of a node that is up.</summary>
    public async Task<int> MasterOfAsync(RedisKey key)
    {
        foreach (int port in Ports.Where(IsRunning))
        {
            string? slot = await QueryAsync(port, "CLUSTER", "KEYSLOT", key.ToString());
            if (slot is null)
            {
                continue;
            }

            int wanted = int.Parse(slot, CultureInfo.InvariantCulture);
            foreach (string line in (await QueryAsync(port, "CLUSTER", "NODES") ?? string.Empty).Split('\n'))
            {
                string[] fields = line.Split(' ');
                if (fields.Length < 9 || !fields[2].Contains("master", StringComparison.Ordinal) || fields[2].Contains("fail", StringComparison.Ordinal))
                {
                    continue;
                }

                foreach (string range in fields.Skip(8))
                {
                    string[] bounds = range.Split('-');
                    if (bounds.Length is 1 or 2 && int.TryParse(bounds[0], out int low)
                        && int.TryParse(bounds[^1], out int high) && wanted >= low && wanted <= high)
                    {
                        return int.Parse(fields[1].Split(':', '@')[1], CultureInfo.InvariantCulture);
                    }
                }
            }
        }

        throw new InvalidOperationException("No node could say which master serves the key.");
    }

    /// <summary>
    /// The port of a master's one replica, once the master's own view of the cluster lists it: right after the cluster
    /// forms, a master hears of its replica by gossip a moment later.
    /// </summary>
    public async Task<int> ReplicaOfAsync(int masterPort)
    {
        int[] replicas = [];
        if (!await Eventually.TrueAsync(async () => (replicas = await ReplicasOfAsync(masterPort)).Length == 1))
        {
            throw new InvalidOperationException($"The master on port {masterPort} lists {replicas.Length} replicas, not one.");
        }

        return replicas[0];
    }

    private async Task<int[]> ReplicasOfAsync(int masterPort)
    {
        string nodes = await QueryAsync(masterPort, "CLUSTER", "NODES") ?? string.Empty;
        string? masterId = nodes.Split('\n').Select(line => line.Split(' '))
            .FirstOrDefault(fields => fields.Length > 2 && fields[2].Contains("myself", StringComparison.Ordinal))?[0];
        return [.. nodes.Split('\n').Select(line => line.Split(' '))
            .Where(fields => fields.Length > 3 && fields[3] == masterId)
            .Select(fields => int.Parse(fields[1].Split(':', '@')[1], CultureInfo.InvariantCulture))];
    }

    /// <summary>Whether a node has replicated everything its master has written (their offsets match).</summary>
    public async Task<bool> InSyncAsync(int masterPort, int replicaPort)
    {
        string? master = await QueryAsync(masterPort, "INFO", "replication");
        string? replica = await QueryAsync(replicaPort, "INFO", "replication");
        return master is not null && replica is not null
            && Field(replica, "master_link_status") == "up"
            && Field(master, "master_repl_offset") is { } offset && offset == Field(replica, "slave_repl_offset");
    }

    public bool IsRunning(int port) => _processes.TryGetValue(port, out Process? process) && !process.HasExited;

    /// <summary>Kills one node by its PID (no shutdown, no save: as a crash).</summary>
    public async Task KillAsync(int port)
    {
        if (_processes.Remove(port, out Process? process))
        {
            await RedisServerProcess.KillAsync(process);
        }
    }

    /// <summary>Starts a killed node again; it rejoins the cluster from its nodes.conf (as a replica once failed over).</summary>
    public async Task RestartAsync(int port)
    {
        StartNode(port);
        await WaitAsync(async () => (await QueryAsync(port, "PING")) == "PONG", $"node {port} to answer");
    }

    /// <summary>Whether a node answers <c>cluster_state:ok</c>.</summary>
    public static async Task<bool> ClusterOkAsync(int port) =>
        (await QueryAsync(port, "CLUSTER", "INFO"))?.Contains("cluster_state:ok", StringComparison.Ordinal) == true;

    public async ValueTask DisposeAsync()
    {
        foreach (Process process in _processes.Values)
        {
            await RedisServerProcess.KillAsync(process);
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

    /// <summary>Sends one command in RESP and answers a simple or bulk string reply (null: no answer or an error).</summary>
    public static Task<string?> QueryAsync(int port, params string[] command) =>
        RespQuery.AskAsync(port, CancellationToken.None, command);

    private static string? Field(string info, string name) =>
        info.Split('\n').Select(line => line.TrimEnd('\r')).FirstOrDefault(line => line.StartsWith(name + ":", StringComparison.Ordinal))?[(name.Length + 1)..];

    private static async Task WaitAsync(Func<Task<bool>> condition, string what)
    {
        if (!await Eventually.TrueAsync(condition, TimeSpan.FromSeconds(45)))
        {
            throw new InvalidOperationException($"The test cluster did not get ready: waited for {what}.");
        }
    }

    private void StartNode(int port)
    {
        string directory = Path.Combine(_directory, port.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(directory);
        ProcessStartInfo info = RedisServerStart.Info(
            _executable,
            port,
            directory,
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", NodeTimeoutMilliseconds.ToString(CultureInfo.InvariantCulture),
            "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0",
            "--cluster-require-full-coverage", _requireFullCoverage ? "yes" : "no");
        Process process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {_executable}.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes[port] = process;
    }

    private async Task CreateAsync(string cli)
    {
        ProcessStartInfo info = RedisClusterCreate.Info(cli, Ports, replicasPerMaster: 1);
        using Process create = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {cli}.");
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await RedisClusterCreate.ConfirmAsync(create, wait.Token);
    }

    private async Task WaitUntilReadyAsync()
    {
        foreach (int port in Ports)
        {
            await WaitAsync(() => ClusterOkAsync(port), $"cluster_state:ok on node {port}");
        }

        foreach (int port in Ports)
        {
            await WaitAsync(
                async () =>
                {
                    string? info = await QueryAsync(port, "INFO", "replication");
                    return info is not null && (Field(info, "role") == "master" || Field(info, "master_link_status") == "up");
                },
                $"node {port}'s replication link");
        }
    }
}
