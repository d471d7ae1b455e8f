using System.Diagnostics;
using System.Globalization;
using Limps.Sessions.Load;
using Limps.Sessions.Load.Hosting;
using Limps.Sessions.Load.Load;
using Limps.Sessions.Load.Report;

// The load benchmark (Design §9): the sample host with and without Limps at saturation, side by side in one run.
LoadOptions options;
try
{
    options = LoadOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

ChildProcesses.InstallHandlers();
CancellationToken stop = ChildProcesses.StopRequested;
var runs = new List<VariantRun>();
try
{
    string hostDll = options.HostPath ?? DefaultHostPath();
    string probeDll = Path.Combine(AppContext.BaseDirectory, "Limps.Sessions.Load.Probe.dll");
    if (options.Build)
    {
        BuildHost(hostDll);
    }

    if (!File.Exists(hostDll))
    {
        Console.Error.WriteLine($"The sample host is not built: {hostDll}");
        return 2;
    }

    // Each loop stops at its deadline or when its latency buffer is full, whichever comes first.
    double longest = Math.Max(options.Warmup.TotalSeconds, Math.Max(options.Round.TotalSeconds, options.SweepRound.TotalSeconds));
    int callsPerClient = (int)Math.Min(4_000_000, longest * 20_000);

    // The hosts start side by side (start-up is most of a quick run's fixed cost); they are measured one at a time.
    runs.AddRange(Variant.All.Where(v => options.Variants.Contains(v.Key)).Select(v => new VariantRun(v)));
    await Task.WhenAll(runs.Select(run => PrepareAsync(run, hostDll, probeDll, options, callsPerClient, stop)));

    // Only the variant being measured runs: the others' hosts (and redis-server) are frozen (SIGSTOP) in between.
    // Three idle-but-live ASP.NET Core hosts on two cores measurably slowed whichever host was measured (a second
    // SDK-alone host, identical to the first, measured 0.79x of it); frozen, two identical hosts measure alike.
    List<VariantRun> active = [.. runs.Where(r => r.Skipped is null)];
    foreach (VariantRun run in active)
    {
        await run.PauseAsync();
    }

    Console.WriteLine(Invariant(
        $"Warm-up: at least {options.Warmup.TotalSeconds:F0} s per variant, then until the host's JIT is done (at most {options.WarmupLimit.TotalSeconds:F0} s)."));
    foreach (VariantRun run in active)
    {
        (RoundResult warm, TimeSpan took) = await run.WarmUpAsync(options.Warmup, options.WarmupLimit, options.Clients, stop);
        ResultTable.WriteRound(Console.Out, "round 0", run, warm);
        Console.WriteLine(Invariant(
            $"    (warm-up took {took.TotalSeconds:F0} s; the line above is its last second, in which the JIT compiled {warm.Host?.MethodsCompiled.ToString(CultureInfo.InvariantCulture) ?? "?"} methods)"));
    }

    for (int round = 1; round <= options.Rounds; round++)
    {
        foreach (VariantRun run in Rotated(active, round - 1))
        {
            RoundResult result = await run.RunRoundAsync(options.Round, options.Clients, sweep: false, stop);
            ResultTable.WriteRound(Console.Out, $"round {round}", run, result);
        }
    }

    // The saturation sweep: requests/s by the number of clients, every variant at each count in turn, so the table
    // shows where each variant stops gaining from more concurrency (what "at saturation" means for the rounds above).
    // After the timed rounds, so that a quick run's short warm-up is not what the sweep measures.
    int sweepRound = 0;
    foreach (int clients in options.Sweep)
    {
        for (int round = 1; round <= options.SweepRounds; round++, sweepRound++)
        {
            foreach (VariantRun run in Rotated(active, sweepRound))
            {
                RoundResult result = await run.RunRoundAsync(options.SweepRound, clients, sweep: true, stop);
                ResultTable.WriteRound(Console.Out, $"sweep {clients} clients", run, result);
            }
        }
    }

    ResultTable.Write(Console.Out, runs, options);
    return runs.Any(r => r.Rounds.Concat(r.Sweep.Values.SelectMany(s => s)).Sum(x => x.Failed) > 0) ? 1 : 0;
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    Console.Error.WriteLine("Stopped before the end; no table.");
    return 130;
}
catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or HttpRequestException or OperationCanceledException or IOException)
{
    Console.Error.WriteLine($"Load benchmark failed: {ex.Message}");
    return 1;
}
finally
{
    // Side by side, after the tables: each host takes a second or two to shut down cleanly, and one after another
    // that was the last 12 s of a quick run.
    await Task.WhenAll(runs.Select(run => run.DisposeAsync().AsTask()));
    ChildProcesses.KillAll();
}

// Each round starts one variant later (A B C, B C A, C A B, ...), so no variant always runs first or right after the
// same neighbour: order effects (a host that just went idle, the machine's other load) even out.
static IEnumerable<VariantRun> Rotated(List<VariantRun> runs, int by) =>
    runs.Count == 0 ? [] : runs.Skip(by % runs.Count).Concat(runs.Take(by % runs.Count));

// Starts the variant's host (and its redis-server), opens the clients' sessions, and checks that the host really is
// the variant it is meant to be: Limps answers an unknown session id itself; the SDK alone does not.
static async Task PrepareAsync(VariantRun run, string hostDll, string probeDll, LoadOptions options, int callsPerClient, CancellationToken stop)
{
    Variant variant = run.Variant;
    RedisServer? redis = null;
    if (variant.NeedsRedis)
    {
        if (!RedisServer.IsInstalled(out string redisPath))
        {
            run.Skipped = "no redis-server found (LIMPS_REDIS_SERVER, PATH)";
            Console.WriteLine($"{variant.Name}: skipped, {run.Skipped}.");
            return;
        }

        if (variant.Cluster)
        {
            run.Cluster = await RedisCluster.StartAsync(redisPath, stop);
        }
        else
        {
            redis = await RedisServer.StartAsync(redisPath, variant.UnixSocket, stop);
        }
    }

    string? redisConfiguration = run.Cluster?.Configuration ?? redis?.Configuration;

    SampleHostProcess host;
    try
    {
        host = await SampleHostProcess.StartAsync(hostDll, probeDll, variant.Key, variant.HostArgs(redisConfiguration), options, stop);
        for (int i = 1; i < variant.HostCount; i++)
        {
            run.MoreHosts.Add(await SampleHostProcess.StartAsync(hostDll, probeDll, variant.Key, variant.HostArgs(redisConfiguration), options, stop));
        }
    }
    catch
    {
        if (redis is not null)
        {
            await redis.DisposeAsync();
        }

        throw;
    }

    run.Attach(host, redis);
    Console.WriteLine(Invariant($"{variant.Name}: host pid {host.ProcessId} on {host.Address}{(redis is null ? string.Empty : $", redis-server on {redis.Address}")}"));
    foreach (SampleHostProcess more in run.MoreHosts)
    {
        Console.WriteLine(Invariant($"{variant.Name}: another host, pid {more.ProcessId} on {more.Address}"));
    }

    if (run.Cluster is not null)
    {
        Console.WriteLine($"{variant.Name}: Redis Cluster of three masters on {run.Cluster.Configuration}");
    }

    await run.ConnectClientsAsync(options.ConnectedClients, callsPerClient, stop);

    if ((redis is not null && await redis.KeyCountAsync(stop) <= 0) || (run.Cluster is not null && await run.Cluster.KeyCountAsync(stop) <= 0))
    {
        // The host ignored the Redis configuration and kept its sessions in memory.
        run.Skipped = $"needs {Variant.RedisConfigurationKey} in the sample host";
        Console.WriteLine($"{variant.Name}: skipped, {run.Skipped} (no key in Redis after {options.ConnectedClients} sessions opened).");
        await run.DisposeAsync();
        return;
    }

    bool limpsAnswers = await AnswersUnknownSessionItselfAsync(host.Address, stop);
    if (limpsAnswers != variant.LimpsOn)
    {
        throw new InvalidOperationException(
            $"{variant.Name}: the host {(limpsAnswers ? "has" : "does not have")} the Limps check on its MCP endpoint; the variant expects the opposite.");
    }

    if (variant.Tool == Variant.BasketTool && await run.Clients[0].AnswersBasketErrorsWithLimpsAsync(stop) != variant.LimpsHandles)
    {
        throw new InvalidOperationException(
            $"{variant.Name}: the host's baskets {(variant.LimpsHandles ? "are not" : "are")} Limps handles; the variant expects the opposite.");
    }
}

static async Task<bool> AnswersUnknownSessionItselfAsync(Uri host, CancellationToken stop)
{
    using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = host };
    using var request = new HttpRequestMessage(HttpMethod.Post, "/mcp")
    {
        Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", System.Text.Encoding.UTF8, "application/json"),
    };
    request.Headers.TryAddWithoutValidation("Accept", "application/json, text/event-stream");
    request.Headers.TryAddWithoutValidation(McpLoadClient.SessionHeader, "limps-load-unknown-session-0000");
    request.Headers.TryAddWithoutValidation("MCP-Protocol-Version", "2025-11-25");
    using HttpResponseMessage response = await http.SendAsync(request, stop);
    string body = await response.Content.ReadAsStringAsync(stop);
    return body.Contains("SESSION_NOT_FOUND", StringComparison.Ordinal);
}

static string DefaultHostPath()
{
    string? dir = AppContext.BaseDirectory;
    while (dir is not null && !File.Exists(Path.Combine(dir, "Limps.Sessions.sln")))
    {
        dir = Path.GetDirectoryName(dir.TrimEnd(Path.DirectorySeparatorChar));
    }

    if (dir is null)
    {
        throw new InvalidOperationException("Cannot find the repository root (Limps.Sessions.sln); pass --host.");
    }

    return Path.Combine(dir, "samples", "Limps.Sessions.SampleHost", "bin", "Release", "net10.0", "Limps.Sessions.SampleHost.dll");
}

// Once per run, in Release, before any host starts: every variant runs the same build.
static void BuildHost(string hostDll)
{
    string project = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(hostDll)!, "..", "..", "..", "Limps.Sessions.SampleHost.csproj"));
    var info = new ProcessStartInfo("dotnet", ["build", project, "--configuration", "Release", "-nologo", "-v", "quiet"]) { UseShellExecute = false };
    using Process build = ChildProcesses.Start(info);
    build.WaitForExit();
    if (build.ExitCode != 0)
    {
        throw new InvalidOperationException($"Building the sample host failed (exit code {build.ExitCode}).");
    }
}

static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
