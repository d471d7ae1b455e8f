using System.Diagnostics;
using System.Globalization;

namespace Limps.Sessions.RedisProcesses;

/// <summary>
/// How every redis-server the tests and benchmarks start is started: on 127.0.0.1 only, in the foreground (stopped by
/// its process id), nothing kept on disk on its own, warnings only in its log.
/// </summary>
internal static class RedisServerStart
{
    /// <summary>The start of a redis-server on <paramref name="port"/>, with its output redirected (read it or drop it).</summary>
    /// <param name="executable">The redis-server binary.</param>
    /// <param name="port">The loopback port.</param>
    /// <param name="directory">Its working and data directory, or <see langword="null"/> for the current one.</param>
    /// <param name="more">More arguments, for example <c>--cluster-enabled yes</c>.</param>
    public static ProcessStartInfo Info(string executable, int port, string? directory, params string[] more)
    {
        var info = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        string[] common =
        [
            "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", string.Empty,
            "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning",
        ];
        foreach (string arg in common.Concat(directory is null ? [] : ["--dir", directory]).Concat(more))
        {
            info.ArgumentList.Add(arg);
        }

        if (directory is not null)
        {
            info.WorkingDirectory = directory;
        }

        return info;
    }
}
