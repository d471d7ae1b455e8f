using System.Globalization;
using System.Net.Sockets;
using System.Text;

/// <summary>
/// Loaded by the runtime before the host's <c>Main</c> (<c>DOTNET_STARTUP_HOOKS</c>). When <c>LIMPS_LOAD_PROBE</c>
/// names a path, a background thread answers every connection on that Unix socket with one line of the process's
/// counters and closes it: total bytes allocated, CPU time (100 ns ticks), gen 0/1/2 collections, thread-pool work
/// items completed, lock contentions and methods compiled by the JIT (every tier). Idle between reads, so it costs the host nothing while it is measured.
/// </summary>
internal static class StartupHook
{
    public static void Initialize()
    {
        string? path = Environment.GetEnvironmentVariable("LIMPS_LOAD_PROBE");
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        var thread = new Thread(() => Serve(path)) { IsBackground = true, Name = "Limps load probe" };
        thread.Start();
    }

    private static void Serve(string path)
    {
        try
        {
            File.Delete(path);
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(4);
            while (true)
            {
                using Socket client = listener.Accept();
                string line = string.Create(
                    CultureInfo.InvariantCulture,
                    $"{GC.GetTotalAllocatedBytes(precise: true)} {Environment.CpuUsage.TotalTime.Ticks} {GC.CollectionCount(0)} {GC.CollectionCount(1)} {GC.CollectionCount(2)} {ThreadPool.CompletedWorkItemCount} {Monitor.LockContentionCount} {System.Runtime.JitInfo.GetCompiledMethodCount()}\n");
                client.Send(Encoding.ASCII.GetBytes(line));
                client.Shutdown(SocketShutdown.Both);
            }
        }
#pragma warning disable CA1031 // A probe that cannot serve must never take the host down; the benchmark reports it missing.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
