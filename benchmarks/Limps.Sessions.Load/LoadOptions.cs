using System.Globalization;

namespace Limps.Sessions.Load;

/// <summary>What to run: the command line of the load benchmark.</summary>
internal sealed class LoadOptions
{
    public const string Usage = """
        Limps.Sessions.Load: the sample host with and without Limps under closed-loop MCP load, over loopback.
          --quick               short rounds (warm-up 3-5 s, 3 rounds of 2 s per variant, a sweep of 8 and 32 clients)
          --clients N           closed-loop clients, each with its own MCP session, in the timed rounds (default 32:
                                where requests/s stops rising on 2 cores; see --sweep)
          --sweep LIST          comma-separated client counts: after the timed rounds, every variant runs interleaved
                                rounds at each count, and a table of requests/s by count shows where each saturates
                                (default 8,16,32,64; quick 8,32; "none" for no sweep). Each variant opens as many
                                sessions as the largest count; those beyond --clients idle during the timed rounds.
          --warmup S            least seconds of warm-up per variant before the first round; it goes on until the
                                host's JIT is done, at most twice as long (default 10)
          --rounds N            timed rounds per variant, interleaved A B C A B C (default 5)
          --round S             seconds per round (default 10)
          --variants LIST       comma-separated subset of: sdk, memory, redis, redis-unix, sdk-control, redis-2,
                                cluster-2, redis-16, basket-plain, basket-memory, basket-handles-only, basket-redis
                                (default sdk,memory,redis,basket-plain,basket-memory, and basket-redis when not --quick).
                                redis-unix is redis with the host on the redis-server's Unix domain socket instead of TCP.
                                sdk-control is a second SDK-alone host, a noise check for the ratio. redis-2 and cluster-2
                                are two hosts behind the clients on one redis-server or on a three-master Redis Cluster,
                                side by side for the cluster's figures; redis-16 is one host on one redis-server with the
                                session space in 16 shards, beside redis for its cost. The basket-* variants call
                                get_basket on a basket each client created once, with and without Limps, and their ratio
                                is to basket-plain; basket-handles-only has Limps baskets without the session check, the
                                handle's share alone.
          --host PATH           the sample host's dll (default: the Release build in samples/)
          --no-build            do not build the sample host first
          --host-arg ARG        one more command-line argument for every host (repeatable)
          --host-env KEY=VALUE  one more environment variable for every host (repeatable; {variant} in the value
                                becomes the variant's short name, e.g. a trace file per variant)
        """;

    public bool Quick { get; private set; }

    // On the project's 2-core machine every variant's requests/s still rose from 8 to 16 to 32 clients and was flat or
    // lower at 64 (the sweep table of each full run shows it): 32 is where the host, not the clients, is the limit.
    public int Clients { get; private set; } = 32;

    /// <summary>The client counts of the saturation sweep (empty: none).</summary>
    public IReadOnlyList<int> Sweep { get; private set; } = [8, 16, 32, 64];

    /// <summary>Interleaved rounds per client count in the sweep.</summary>
    public int SweepRounds { get; private set; } = 2;

    /// <summary>Seconds per sweep round.</summary>
    public TimeSpan SweepRound { get; private set; } = TimeSpan.FromSeconds(5);

    /// <summary>The clients each variant connects: enough for the timed rounds and every sweep count.</summary>
    public int ConnectedClients => Sweep.Count == 0 ? Clients : Math.Max(Clients, Sweep.Max());

    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest a warm-up goes on while the host's JIT is still busy: twice <see cref="Warmup"/>, or less
    /// in a quick run.</summary>
    public TimeSpan WarmupLimit { get; private set; }

    public int Rounds { get; private set; } = 5;

    public TimeSpan Round { get; private set; } = TimeSpan.FromSeconds(10);

    public IReadOnlyList<string> Variants { get; private set; } = ["sdk", "memory", "redis", "basket-plain", "basket-memory", "basket-redis"];

    public string? HostPath { get; private set; }

    public bool Build { get; private set; } = true;

    public List<string> HostArgs { get; } = [];

    public List<KeyValuePair<string, string>> HostEnvironment { get; } = [];

    public static LoadOptions Parse(string[] args)
    {
        var options = new LoadOptions();
        bool warmupSet = false, roundsSet = false, roundSet = false, variantsSet = false, sweepSet = false;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value.");
            switch (arg)
            {
                case "--quick":
                    options.Quick = true;
                    break;
                case "--clients":
                    options.Clients = Positive(arg, Next(), 256);
                    break;
                case "--sweep":
                    string counts = Next();
                    options.Sweep = counts == "none"
                        ? []
                        : [.. counts.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                            .Select(c => Positive(arg, c, 256)).Distinct().Order()];
                    sweepSet = true;
                    break;
                case "--warmup":
                    options.Warmup = TimeSpan.FromSeconds(Positive(arg, Next(), 600));
                    warmupSet = true;
                    break;
                case "--rounds":
                    options.Rounds = Positive(arg, Next(), 100);
                    roundsSet = true;
                    break;
                case "--round":
                    options.Round = TimeSpan.FromSeconds(Positive(arg, Next(), 600));
                    roundSet = true;
                    break;
                case "--variants":
                    options.Variants = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    variantsSet = true;
                    break;
                case "--host":
                    options.HostPath = Path.GetFullPath(Next());
                    break;
                case "--no-build":
                    options.Build = false;
                    break;
                case "--host-arg":
                    options.HostArgs.Add(Next());
                    break;
                case "--host-env":
                    string pair = Next();
                    int eq = pair.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0)
                    {
                        throw new ArgumentException($"--host-env needs KEY=VALUE, not '{pair}'.");
                    }

                    options.HostEnvironment.Add(new(pair[..eq], pair[(eq + 1)..]));
                    break;
                case "--help" or "-h":
                    Console.WriteLine(Usage);
                    Environment.Exit(0);
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{arg}'.\n{Usage}");
            }
        }

        options.WarmupLimit = 2 * options.Warmup;
        if (options.Quick)
        {
            // The quick run stays well under three minutes: the handle rows in memory only, and a warm-up of 3 s that
            // stops at 5 s even while the JIT is still busy (with 5 variants it always was at 10 s: the cap, not the
            // JIT, decides a quick warm-up, and 5 x 10 s was a third of the whole quick run). The rounds that follow
            // warm the host further; the full run's longer warm-up is the one whose numbers go into RESULTS.md.
            options.Variants = variantsSet ? options.Variants : [.. options.Variants.Where(v => v != "basket-redis")];
            options.Warmup = warmupSet ? options.Warmup : TimeSpan.FromSeconds(3);
            options.WarmupLimit = warmupSet ? options.WarmupLimit : TimeSpan.FromSeconds(5);
            options.Rounds = roundsSet ? options.Rounds : 3;
            options.Round = roundSet ? options.Round : TimeSpan.FromSeconds(2);

            // Two counts, one short round each: the table's shape, in about 25 s for the quick run's five variants.
            options.Sweep = sweepSet ? options.Sweep : [8, 32];
            options.SweepRounds = 1;
            options.SweepRound = TimeSpan.FromSeconds(2);
        }

        foreach (string variant in options.Variants)
        {
            if (!Load.Variant.All.Any(v => v.Key == variant))
            {
                throw new ArgumentException($"Unknown variant '{variant}' ({string.Join(", ", Load.Variant.All.Select(v => v.Key))}).");
            }
        }

        return options;
    }

    private static int Positive(string name, string value, int max) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 && n <= max
            ? n
            : throw new ArgumentException($"{name} needs a whole number from 1 to {max}, not '{value}'.");
}
