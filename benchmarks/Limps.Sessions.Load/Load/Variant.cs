namespace Limps.Sessions.Load.Load;

/// <summary>One configuration of the sample host under test.</summary>
/// <param name="Key">The short name used on the command line and in trace file names.</param>
/// <param name="Name">The name in the table.</param>
/// <param name="LimpsOn">Whether the Limps check is on the MCP endpoint.</param>
/// <param name="NeedsRedis">Whether the variant needs its own redis-server.</param>
/// <param name="HostCount">How many hosts serve it; the clients are spread over them round-robin (one Redis for all).</param>
/// <param name="Cluster">Whether its Redis is a three-master Redis Cluster.</param>
/// <param name="ShardCount">The hosts' <c>Limps:Sessions:Redis:ShardCount</c>.</param>
internal sealed record Variant(string Key, string Name, bool LimpsOn, bool NeedsRedis, int HostCount = 1, bool Cluster = false, int ShardCount = 1)
{
    /// <summary>The configuration key the sample host reads its Redis connection from.</summary>
    public const string RedisConfigurationKey = "Limps:Sessions:Redis:Configuration";

    public static readonly Variant SdkAlone = new("sdk", "SDK alone", LimpsOn: false, NeedsRedis: false);
    public static readonly Variant InMemory = new("memory", "Limps in memory", LimpsOn: true, NeedsRedis: false);
    public static readonly Variant Redis = new("redis", "Limps on Redis", LimpsOn: true, NeedsRedis: true);

    /// <summary>
    /// The Redis variant with the host reaching its redis-server over a Unix domain socket instead of TCP on loopback:
    /// how a host best reaches a Redis on its own machine.
    /// </summary>
    public static readonly Variant RedisUnix = new("redis-unix", "Limps on Redis, Unix socket", LimpsOn: true, NeedsRedis: true) { UnixSocket = true };

    /// <summary>A second SDK-alone host, on request: its ratio to the first shows how much of a difference is noise.</summary>
    public static readonly Variant SdkControl = new("sdk-control", "SDK alone again", LimpsOn: false, NeedsRedis: false);

    /// <summary>Two hosts sharing one redis-server: the single-node side of the cluster comparison.</summary>
    public static readonly Variant Redis2 = new("redis-2", "Limps on Redis, 2 hosts", LimpsOn: true, NeedsRedis: true, HostCount: 2);

    /// <summary>Two hosts sharing a three-master Redis Cluster, the session space in 16 shards.</summary>
    public static readonly Variant Cluster2 = new("cluster-2", "Limps on a cluster, 2 hosts", LimpsOn: true, NeedsRedis: true, HostCount: 2, Cluster: true, ShardCount: 16);

    /// <summary>One host on one redis-server with the session space in 16 shards: what sharding costs a single node.</summary>
    public static readonly Variant RedisSharded = new("redis-16", "Limps on Redis, 16 shards", LimpsOn: true, NeedsRedis: true, ShardCount: 16);


    /// <summary>A tool call that uses a basket handle, served by the sample's hand-written baskets: no Limps at all.</summary>
    public static readonly Variant BasketPlain = new("basket-plain", "baskets by hand (no Limps)", LimpsOn: false, NeedsRedis: false)
    {
        Tool = BasketTool,
        Baseline = "basket-plain",
        ExtraHostArgs = ["--Sample:Handles=Plain"],
    };

    /// <summary>The same call with Limps: the session check and the sample's Limps baskets, in memory.</summary>
    public static readonly Variant BasketMemory = new("basket-memory", "baskets, Limps in memory", LimpsOn: true, NeedsRedis: false)
    {
        Tool = BasketTool,
        Baseline = "basket-plain",
        LimpsHandles = true,
    };

    /// <summary>On request: Limps baskets in memory without the session check, so the ratio is the handle's share alone.</summary>
    public static readonly Variant BasketHandlesOnly = new("basket-handles-only", "baskets, Limps handles only", LimpsOn: false, NeedsRedis: false)
    {
        Tool = BasketTool,
        Baseline = "basket-plain",
        LimpsHandles = true,
    };

    /// <summary>The same call with Limps on Redis: sessions and baskets in Redis.</summary>
    public static readonly Variant BasketRedis = new("basket-redis", "baskets, Limps on Redis", LimpsOn: true, NeedsRedis: true)
    {
        Tool = BasketTool,
        Baseline = "basket-plain",
        LimpsHandles = true,
    };


    public static IReadOnlyList<Variant> All { get; } =
        [SdkAlone, InMemory, Redis, RedisUnix, SdkControl, Redis2, Cluster2, RedisSharded, BasketPlain, BasketMemory, BasketHandlesOnly, BasketRedis];

    /// <summary>The tool the handle variants call: it reads a basket, so the state's size stays the same all run long.</summary>
    public const string BasketTool = "get_basket";

    /// <summary>The tool each client calls in its closed loop: <c>echo</c>, or <see cref="BasketTool"/> on a basket it created once.</summary>
    public string Tool { get; init; } = "echo";

    /// <summary>The key of the variant whose requests/s this one's ratio is taken against (SDK alone unless said).</summary>
    public string Baseline { get; init; } = "sdk";

    /// <summary>Whether the host reaches its redis-server over a Unix domain socket (<c>!path</c>) rather than TCP.</summary>
    public bool UnixSocket { get; init; }

    /// <summary>Whether the host's baskets are Limps handles (checked before the run: Limps answers an unknown basket itself).</summary>
    public bool LimpsHandles { get; init; }

    /// <summary>More host arguments of this variant's own.</summary>
    public IReadOnlyList<string> ExtraHostArgs { get; init; } = [];

    /// <summary>The variant's own host arguments; everything else is the same for every variant.</summary>
    public IEnumerable<string> HostArgs(string? redisConfiguration)
    {
        yield return $"--Sample:SessionCheck={(LimpsOn ? "true" : "false")}";
        if (redisConfiguration is not null)
        {
            yield return $"--{RedisConfigurationKey}={redisConfiguration}";
        }

        if (ShardCount > 1)
        {
            yield return FormattableString.Invariant($"--Limps:Sessions:Redis:ShardCount={ShardCount}");
        }

        foreach (string arg in ExtraHostArgs)
        {
            yield return arg;
        }
    }
}
