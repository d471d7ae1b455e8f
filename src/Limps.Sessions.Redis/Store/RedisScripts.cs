namespace Limps.Sessions.Redis;

/// <summary>
/// The Lua scripts of the store. Every decision that ends a session, and every write that must not race one, runs
/// inside a single script, so it is atomic across replicas: Redis runs one script at a time.
/// </summary>
/// <remarks>
/// <para>Instants are Unix microseconds (integers below 2^53, exact in Lua's doubles) and are always written with
/// <c>fmt</c>: Lua's default number formatting would print them in exponent form. Keys (see <see cref="RedisKeys"/>),
/// all built from B, the shard's key base <c>&lt;prefix&gt;{&lt;tag&gt;}:</c> (ARGV 1), so one script touches one hash
/// slot: <c>B&lt;id&gt;:s</c> the session hash (c created, a last active, n lease fields, l:&lt;token&gt; one lease each
/// with its expiry in Redis milliseconds, g incarnation, o owner, m metadata; for a handle st its state as JSON and sv
/// that state's version), <c>Bown:&lt;owner&gt;</c> the zset of an owner's live handles (handle stores only; an
/// owner's handles are in the owner's shard), <c>B&lt;id&gt;:t</c> the tombstone hash (r reason code, d description of
/// a custom reason, x expired at, a last active, o owner), <c>Bdeadlines</c> the shard's zset of scheduled checks,
/// <c>Bledger</c> the shard's zset of tombstones by recording order, <c>Bledger:seq</c> its counter, and the store's
/// channel <c>&lt;prefix&gt;ended</c>.</para>
/// <para>Every write may be repeated, or lapses by itself: a command the caller gave up on (its answer came too late)
/// may still have run, so nothing it leaves behind may need that answer to be undone. Leases carry a token the caller
/// chose and expire unless renewed; a create the caller never heard back from is taken back by its incarnation.</para>
/// <para>Common arguments (ARGV 1-13) are built by <see cref="RedisSessionStore"/>; each script's own start at 14.</para>
/// </remarks>
internal static class RedisScripts
{
    // Each script is an embedded resource (Store/Scripts/<name>.lua) behind the pieces it uses (Pieces), read once.
    // Everything at a script's top level runs on every call on Redis's one thread, so each script carries only the
    // pieces it needs: the light ones (a holder's renewal, a lone release) the prelude alone and what they call.
    /// <summary>
    /// Lookup, touch or lease, optionally for one owner only. ARGV 14 id, 15 mode (<c>l</c>, <c>t</c>, <c>b</c>), 16 touch
    /// write tolerance (µs), 17 lease token; then, to check the owner first, 18 <c>c</c>, 19 has owner (1/0), 20 owner.
    /// Answers {0} unknown, {1, created, last active, owner, has owner, metadata, incarnation} live,
    /// {2, reason, description, expired at, last active, recorded, ended by this call, owner, has owner} ended,
    /// {3} another owner's live session, left untouched. With 21 <c>1</c> (handles), a live answer ends with the state
    /// JSON and its version; with 22 <c>1</c> (an owner-checked caller), a live answer is {1, created, last active,
    /// metadata} only, or with handles {1, created, last active, state JSON, version}.
    /// </summary>
    public static readonly RedisScript Access = Load("access");

    /// <summary>
    /// Releases one lease by its token. ARGV 14 id, 15 token. Answers 1 when released, 0 when there was nothing to
    /// release (so it can be retried).
    /// </summary>
    public static readonly RedisScript Release = Load("release");

    /// <summary>
    /// The request path's calls to one shard, sent together (see <see cref="RedisRequestQueue"/>): owner-checked leases
    /// (with the short answer of <see cref="Access"/>), releases, handles' uses and state writes. ARGV 14 how many
    /// calls, then per call <c>b</c>, id, token, has owner (1/0), owner for a lease; <c>r</c>, id, token, released at (µs) for a release;
    /// <c>h</c>, id, released token, released at, token, has owner, owner for a handover (a session's release and its
    /// next lease in one, with the outcome of both); <c>u</c>, id, touch write tolerance (µs), has owner, owner for a
    /// handle's use (<see cref="Access"/>'s touch, short answer with the state); <c>w</c>, id, expected version, state
    /// JSON, has owner, owner for a handle's compare-and-set of its state (write-function.lua: {1, new version}, {3}
    /// another owner's, {4, state, version} when another update came first, or <see cref="Access"/>'s ended and unknown
    /// answers). Answers one entry per call in order: <see cref="Access"/>'s or <see cref="Release"/>'s answer (a
    /// handover's is its lease's), the write's, or {-1, message} when that call alone failed.
    /// </summary>
    public static readonly RedisScript Requests = Load("requests");

    /// <summary>Renews leases of one session. ARGV 14 id, 15... tokens. Answers how many were still there.</summary>
    public static readonly RedisScript Renew = Load("renew");

    /// <summary>
    /// Takes back an unused session by its incarnation (a create whose answer was lost). ARGV 14 id, 15 incarnation.
    /// Answers 1 when removed.
    /// </summary>
    public static readonly RedisScript Abandon = Load("abandon");

    /// <summary>
    /// Ends a session with a reason; first end wins. ARGV 14 id, 15 code, 16 description of a custom reason; then, to
    /// end it for its owner only, 17 <c>c</c>, 18 has owner (1/0), 19 owner ({4}: another owner's, left untouched).
    /// Answers {0} when not live, {1, code, description, expired at, last active, recorded, 1, owner, has owner} when
    /// this call ended it, {3, ...the same} when it was overdue and ended for that reason instead.
    /// </summary>
    public static readonly RedisScript End = Load("end");

    /// <summary>
    /// Creates a session. ARGV 14 id, 15 owner, 16 has owner (1/0), 17 metadata JSON (empty: none), 18 incarnation,
    /// 19 max sessions; for handles also 20 state JSON and 21 the cap per owner (kept in the owner's index
    /// <c>Pown:&lt;owner&gt;</c>). Answers {status, created, previous...}: status 1 created, 0 a live session has the
    /// id, -1 at capacity, -2 at the owner's cap; then 1 and the end of an overdue session of the same id that this call ended (laid out as in
    /// <see cref="End"/> from the reason on), or 0.
    /// </summary>
    public static readonly RedisScript Create = Load("create");

    /// <summary>
    /// Sweeps one batch of the due schedule. ARGV 14 batch size. Answers {looked at, then per session ended:
    /// id, reason, expired at, last active, recorded, owner, has owner}. Sessions that are not due after all are rescheduled.
    /// </summary>
    public static readonly RedisScript Sweep = Load("sweep");

    /// <summary>
    /// Records a tombstone. ARGV 14 id, 15 code, 16 description, 17 expired at, 18 last active, 19 has owner (1/0),
    /// 20 owner. Answers 1 when kept.
    /// </summary>
    public static readonly RedisScript Record = Load("record");

    /// <summary>Drops tombstones past retention or capacity. Answers how many.</summary>
    public static readonly RedisScript Prune = Load("prune");

    /// <summary>Gets every script, for loading them ahead and for tests.</summary>
    internal static IReadOnlyList<(string Name, RedisScript Script)> All { get; } =
    [
        ("access", Access), ("release", Release), ("requests", Requests), ("renew", Renew), ("abandon", Abandon), ("end", End),
        ("create", Create), ("sweep", Sweep), ("record", Record), ("prune", Prune),
    ];

    /// <summary>Reads one script and puts the pieces it uses in front of it (see <see cref="Pieces"/>).</summary>
    internal static RedisScript Load(string name) =>
        new(string.Concat(Pieces(name).Select(Read)) + Read(name));

    /// <summary>
    /// The shared pieces a script runs on, in order: the prelude always; lifecycle.lua for every script that visits a
    /// session (and so may end one); the access, release and state-write functions for the scripts that call them.
    /// </summary>
    internal static IReadOnlyList<string> Pieces(string name) => name switch
    {
        "renew" => ["prelude"],
        "release" => ["prelude", "release-function"],
        "access" => ["prelude", "lifecycle", "access-function"],
        "requests" => ["prelude", "lifecycle", "access-function", "release-function", "write-function"],
        _ => ["prelude", "lifecycle"],
    };

    private static string Read(string name)
    {
        string resource = "Limps.Sessions.Redis.Scripts." + name + ".lua";
        using Stream stream = typeof(RedisScripts).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The script resource {resource} is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
