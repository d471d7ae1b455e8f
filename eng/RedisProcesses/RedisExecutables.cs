namespace Limps.Sessions.RedisProcesses;

/// <summary>
/// Finds the Redis binaries the tests and benchmarks start themselves: <c>LIMPS_REDIS_SERVER</c> when set, then the
/// <c>PATH</c>, then the places Debian and a source install put them. Linked into each project that starts Redis.
/// </summary>
internal static class RedisExecutables
{
    /// <summary>What to do when no redis-server is found, for the messages of whoever needed one.</summary>
    public const string HowToInstall =
        "install it with `apt-get update && apt-get install -y redis-server` (./test.sh and .ci/run do this) or point "
        + "LIMPS_REDIS_SERVER at the binary";

    /// <summary>The redis-server binary, or <see langword="null"/> when there is none.</summary>
    public static string? FindServer()
    {
        string? configured = Environment.GetEnvironmentVariable("LIMPS_REDIS_SERVER");
        if (!string.IsNullOrEmpty(configured) && File.Exists(configured))
        {
            return configured;
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "redis-server"))
            .Concat(["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server"])
            .FirstOrDefault(File.Exists);
    }

    /// <summary>The redis-cli that came with <paramref name="serverPath"/> (package redis-tools), or <see langword="null"/>.</summary>
    public static string? FindCli(string serverPath)
    {
        string cli = Path.Combine(Path.GetDirectoryName(serverPath) ?? string.Empty, "redis-cli");
        return File.Exists(cli) ? cli : null;
    }
}
