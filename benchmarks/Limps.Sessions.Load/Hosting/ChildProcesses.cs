using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Limps.Sessions.Load.Hosting;

/// <summary>
/// Every process the benchmark starts, so that all of them end with it: on a normal end, on a failure, on Ctrl-C or
/// SIGTERM, and, through a small watchdog per child that polls this process, even when this process is killed
/// outright. Processes are ended by their own id only.
/// </summary>
internal static class ChildProcesses
{
    private static readonly Lock Gate = new();
    private static readonly List<Process> Children = [];
    private static readonly List<Process> Watchdogs = [];
    private static readonly CancellationTokenSource Stopping = new();
    private static readonly List<PosixSignalRegistration> Signals = [];

    /// <summary>Cancelled when the user asks the benchmark to stop (Ctrl-C, SIGTERM, SIGHUP).</summary>
    public static CancellationToken StopRequested => Stopping.Token;

    /// <summary>Ends every child when this process ends, however it ends short of SIGKILL (the watchdogs cover that).</summary>
    public static void InstallHandlers()
    {
        foreach (PosixSignal signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP })
        {
            Signals.Add(PosixSignalRegistration.Create(signal, context =>
            {
                if (Stopping.IsCancellationRequested)
                {
                    // Asked twice: stop now.
                    KillAll();
                    return;
                }

                context.Cancel = true;
                Console.Error.WriteLine($"{context.Signal}: stopping; the hosts and redis-server are ended.");
                Stopping.Cancel();
            }));
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
        AppDomain.CurrentDomain.UnhandledException += (_, _) => KillAll();
    }

    /// <summary>Starts a process that is ended with this one.</summary>
    public static Process Start(ProcessStartInfo info)
    {
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        lock (Gate)
        {
            StopRequested.ThrowIfCancellationRequested();
            process.Start();
            Children.Add(process);
            Watchdogs.Add(StartWatchdog(process.Id));
        }

        return process;
    }

    /// <summary>Sends a signal to one child by its id (STOP, CONT, TERM).</summary>
    public static async Task SignalAsync(Process process, string signal)
    {
        if (HasExited(process))
        {
            return;
        }

        using Process kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture)])
        {
            UseShellExecute = false,
        })!;
        await kill.WaitForExitAsync().ConfigureAwait(false);
    }

    /// <summary>Asks a child to stop (SIGTERM, so a host can flush a trace), then kills it if it has not after the grace period.</summary>
    public static async Task StopAsync(Process process, TimeSpan grace)
    {
        if (!HasExited(process))
        {
            try
            {
                // A paused child would not act on SIGTERM.
                await SignalAsync(process, "CONT").ConfigureAwait(false);
                await SignalAsync(process, "TERM").ConfigureAwait(false);
                using var timeout = new CancellationTokenSource(grace);
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Did not stop in time: killed below.
            }
        }

        Kill(process);
    }

    /// <summary>Kills every child still running, and their watchdogs.</summary>
    public static void KillAll()
    {
        Process[] children, watchdogs;
        lock (Gate)
        {
            children = [.. Children];
            watchdogs = [.. Watchdogs];
        }

        foreach (Process child in children)
        {
            Kill(child);
        }

        foreach (Process watchdog in watchdogs)
        {
            Kill(watchdog);
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!HasExited(process))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Already gone, or not ours any more.
        }
    }

    private static bool HasExited(Process process)
    {
        try
        {
            return process.HasExited;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    // Polls this process once a second and kills the child by its id once this process is gone; ended itself by
    // KillAll on a normal end, so it never outlives the benchmark by more than a second.
    private static Process StartWatchdog(int childId)
    {
        string script = string.Create(
            CultureInfo.InvariantCulture,
            $"while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 1; done; kill -9 {childId} 2>/dev/null");
        var info = new ProcessStartInfo("/bin/sh", ["-c", script])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        return Process.Start(info)!;
    }
}
