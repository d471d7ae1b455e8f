using System.Diagnostics;
using System.Globalization;
using Limps.Sessions.RedisProcesses;

namespace Limps.Sessions.Load.Hosting;

/// <summary>
/// One sample host, started as a child process (<c>dotnet Limps.Sessions.SampleHost.dll</c>) on a free loopback port
/// with the variant's configuration on its command line. Every variant gets the same process layout: the same dll,
/// the same environment, the same logging, the same startup hook; only the variant's own arguments differ.
/// </summary>
internal sealed class SampleHostProcess : IAsyncDisposable
{
    private const int KeptOutputLines = 40;

    private readonly Process _process;
    private readonly Queue<string> _output = new();

    private SampleHostProcess(Process process, Uri address, string probePath)
    {
        _process = process;
        Address = address;
        ProbePath = probePath;
    }

    public Uri Address { get; }

    public string ProbePath { get; }

    public int ProcessId => _process.Id;

    /// <summary>The host's last lines of output, for a report when it fails.</summary>
    public string RecentOutput
    {
        get
        {
            lock (_output)
            {
                return string.Join(Environment.NewLine, _output);
            }
        }
    }

    public static async Task<SampleHostProcess> StartAsync(
        string hostDll,
        string probeDll,
        string variantName,
        IEnumerable<string> variantArgs,
        LoadOptions options,
        CancellationToken cancellationToken)
    {
        int port = LoopbackPorts.Free();
        var address = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}"));
        string probePath = Path.Combine(Path.GetTempPath(), string.Create(CultureInfo.InvariantCulture, $"limps-load-{Environment.ProcessId}-{port}.sock"));

        var info = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(hostDll)!,
        };
        info.ArgumentList.Add(hostDll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(address.ToString().TrimEnd('/'));
        info.ArgumentList.Add("--Logging:LogLevel:Default=Warning");
        info.ArgumentList.Add("--Logging:LogLevel:Microsoft.AspNetCore=Warning");
        info.ArgumentList.Add("--Logging:LogLevel:Limps.Sessions=Warning");
        info.ArgumentList.Add("--Logging:LogLevel:ModelContextProtocol=Warning");
        foreach (string arg in variantArgs.Concat(options.HostArgs))
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment.Remove("ASPNETCORE_URLS");
        info.Environment["DOTNET_STARTUP_HOOKS"] = probeDll;
        info.Environment["LIMPS_LOAD_PROBE"] = probePath;
        foreach ((string key, string value) in options.HostEnvironment)
        {
            info.Environment[key] = value.Replace("{variant}", variantName, StringComparison.Ordinal);
        }

        Process process = ChildProcesses.Start(info);
        var host = new SampleHostProcess(process, address, probePath);
        process.OutputDataReceived += (_, e) => host.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => host.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await host.WaitUntilAnsweringAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return host;
    }

    /// <summary>Freezes the host (SIGSTOP) while other variants are measured, so it takes no CPU, memory bandwidth or
    /// cache from them; <see cref="ResumeAsync"/> (SIGCONT) before its own round.</summary>
    public Task PauseAsync() => ChildProcesses.SignalAsync(_process, "STOP");

    public Task ResumeAsync() => ChildProcesses.SignalAsync(_process, "CONT");

    public Task<ProbeReading?> ReadProbeAsync(CancellationToken cancellationToken) =>
        ProbeReading.ReadAsync(ProbePath, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        // SIGTERM first: ASP.NET Core shuts down cleanly, so a trace asked for with --host-env is complete.
        await ChildProcesses.StopAsync(_process, TimeSpan.FromSeconds(15)).ConfigureAwait(false);
        _process.Dispose();
        File.Delete(ProbePath);
    }

    private static string DotnetHost() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Enqueue(line);
            while (_output.Count > KeptOutputLines)
            {
                _output.Dequeue();
            }
        }
    }

    // Polls the health endpoint (any HTTP answer means Kestrel is serving) and the probe socket, at most until timeout.
    private async Task WaitUntilAnsweringAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                throw new InvalidOperationException(
                    $"The sample host exited with code {_process.ExitCode} before answering:{Environment.NewLine}{RecentOutput}");
            }

            try
            {
                using HttpResponseMessage response = await http.GetAsync(new Uri(Address, "/health"), cancellationToken).ConfigureAwait(false);
                if (await ReadProbeAsync(cancellationToken).ConfigureAwait(false) is not null)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The attempt timed out; try again.
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        throw new TimeoutException($"The sample host did not answer on {Address} within {timeout.TotalSeconds:F0} s:{Environment.NewLine}{RecentOutput}");
    }
}
