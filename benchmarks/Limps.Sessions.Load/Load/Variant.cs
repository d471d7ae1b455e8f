namespace Limps.Sessions.Load.Load;

/// <summary>One configuration of the sample host under test.</summary>
/// <param name="Key">The short name used on the command line and in trace file names.</param>
/// <param name="Name">The name in the table.</param>
/// <param name="LimpsOn">Whether the Limps check is on the MCP endpoint.</param>
/// <param name="NeedsRedis">Whether the variant needs its own redis-server.</param>
internal sealed record Variant(string Key, string Name, bool LimpsOn, bool NeedsRedis)
{
    /// <summary>The configuration key the sample host reads its Redis connection from.</summary>
    public const string RedisConfigurationKey = "Limps:Sessions:Redis:Configuration";

    public static readonly Variant SdkAlone = new("sdk", "SDK alone", LimpsOn: false, NeedsRedis: false);
    public static readonly Variant InMemory = new("memory", "Limps in memory", LimpsOn: true, NeedsRedis: false);
    public static readonly Variant Redis = new("redis", "Limps on Redis", LimpsOn: true, NeedsRedis: true);

    /// <summary>A second SDK-alone host, on request: its ratio to the first shows how much of a difference is noise.</summary>
    public static readonly Variant SdkControl = new("sdk-control", "SDK alone again", LimpsOn: false, NeedsRedis: false);

    public static IReadOnlyList<Variant> All { get; } = [SdkAlone, InMemory, Redis, SdkControl];

    /// <summary>The variant's own host arguments; everything else is the same for every variant.</summary>
    public IEnumerable<string> HostArgs(string? redisConfiguration)
    {
        yield return $"--Sample:SessionCheck={(LimpsOn ? "true" : "false")}";
        if (redisConfiguration is not null)
        {
            yield return $"--{RedisConfigurationKey}={redisConfiguration}";
        }
    }
}
