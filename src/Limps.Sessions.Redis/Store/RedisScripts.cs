namespace Limps.Sessions.Redis;

/// <summary>
/// The Lua scripts of the store. Every decision that ends a session, and every write that must not race one, runs
/// inside a single script, so it is atomic across replicas: Redis runs one script at a time.
/// </summary>
/// <remarks>
/// <para>Instants are Unix microseconds (integers below 2^53, exact in Lua's doubles) and are always written with
/// <c>fmt</c>: Lua's default number formatting would print them in exponent form. Keys (see <see cref="RedisKeys"/>):
/// <c>P{id}:s</c> the session hash (c created, a last active, n open leases, L:&lt;replica&gt; leases per replica,
/// g incarnation, o owner, m metadata, i MCP initialize parameters), <c>P{id}:t</c> the tombstone hash (r reason
/// code, d description of a custom reason, x expired at, a last active), <c>P{id}:mcp</c> MCP initialize
/// parameters written before the session was registered, <c>Pdeadlines</c> the zset of scheduled checks,
/// <c>Pledger</c> the zset of tombstones by recording order, <c>Pledger:seq</c> its counter,
/// <c>Preplica:&lt;replica&gt;</c> a replica's lease heartbeat, and the channel <c>Pended</c>.</para>
/// <para>Common arguments (ARGV 1-12) are built by <see cref="RedisSessionStore"/>; each script's own start at 13.</para>
/// </remarks>
internal static class RedisScripts
{
    private const string Prelude = """
        local P = ARGV[1]
        local now_dn = tonumber(ARGV[2])
        local now_up = tonumber(ARGV[3])
        local idle = tonumber(ARGV[4])
        local life = tonumber(ARGV[5])
        local retention = tonumber(ARGV[6])
        local cap = tonumber(ARGV[7])
        local grace_ms = tonumber(ARGV[8])
        local rid = ARGV[9]
        local skew = tonumber(ARGV[10])
        local announce = ARGV[11] == '1'
        local recheck = tonumber(ARGV[12])
        local DL = P .. 'deadlines'
        local LG = P .. 'ledger'
        local SEQ = P .. 'ledger:seq'

        local function fmt(n) return string.format('%.0f', n) end
        local function skey(id) return P .. '{' .. id .. '}:s' end
        local function tkey(id) return P .. '{' .. id .. '}:t' end
        local function mkey(id) return P .. '{' .. id .. '}:mcp' end
        local function rkey(r) return P .. 'replica:' .. r end

        -- The instant that decides whether a session is overdue: the caller's clock, capped (when a skew is set) by
        -- Redis's own clock plus that skew, so a replica whose clock runs ahead cannot end sessions early.
        local now_end = now_dn
        if skew > 0 then
          if redis.replicate_commands then redis.replicate_commands() end
          local t = redis.call('TIME')
          local rnow = tonumber(t[1]) * 1000000 + tonumber(t[2])
          if rnow + skew < now_end then now_end = rnow + skew end
        end

        -- When a session becomes due and why, from its creation and last activity (nil: never).
        local function due_at(c, a)
          local dl = nil
          local reason = 'timeout'
          if idle > 0 then dl = a + idle end
          if life > 0 then
            local le = c + life
            if dl == nil or le < dl then
              reason = 'lifetime'
              if le > a then dl = le else dl = a end
            end
          end
          return dl, reason
        end

        -- A session's keys live until its deadline plus the grace; a leased or never-expiring one has no TTL.
        local function set_ttl(key, c, a, n)
          local dl = nil
          if n == 0 then dl = due_at(c, a) end
          if dl == nil then
            redis.call('PERSIST', key)
          else
            local ms = math.ceil((dl - now_dn) / 1000)
            if ms < 0 then ms = 0 end
            redis.call('PEXPIRE', key, fmt(ms + grace_ms))
          end
        end

        -- Drops tombstones from the oldest recorded while over capacity, past retention or already gone.
        local function trim()
          local count = redis.call('ZCARD', LG)
          local dropped = 0
          while count > 0 do
            local head = redis.call('ZRANGE', LG, 0, 0)[1]
            local drop = count > cap
            if not drop then
              local x = redis.call('HGET', tkey(head), 'x')
              drop = (not x) or (now_dn - tonumber(x) >= retention)
            end
            if not drop then break end
            redis.call('ZREM', LG, head)
            redis.call('DEL', tkey(head))
            count = count - 1
            dropped = dropped + 1
          end
          return dropped
        end

        -- Writes a tombstone (replacing an older one of the id, which keeps its place in the recording order).
        local function record(id, code, desc, x, a)
          if retention <= 0 or now_dn - x >= retention then return 0 end
          local tk = tkey(id)
          redis.call('DEL', tk)
          if desc ~= '' then
            redis.call('HSET', tk, 'r', code, 'x', fmt(x), 'a', fmt(a), 'd', desc)
          else
            redis.call('HSET', tk, 'r', code, 'x', fmt(x), 'a', fmt(a))
          end
          local ms = math.ceil((retention - (now_dn - x)) / 1000)
          if ms < 1 then ms = 1 end
          redis.call('PEXPIRE', tk, fmt(ms))
          if not redis.call('ZSCORE', LG, id) then
            redis.call('ZADD', LG, redis.call('INCR', SEQ), id)
          end
          trim()
          return 1
        end

        -- Ends a live session: removes it, writes its tombstone, announces the end. Returns whether it was recorded.
        local function finish(id, key, code, desc, x, a)
          redis.call('DEL', key, mkey(id))
          redis.call('ZREM', DL, id)
          local rec = record(id, code, desc, x, a)
          if announce then
            redis.call('PUBLISH', P .. 'ended', rid .. '\n' .. id .. '\n' .. code .. '\n' .. fmt(x) .. '\n' .. fmt(a) .. '\n' .. desc)
          end
          return rec
        end

        -- Counts the open leases of replicas whose heartbeat is alive and drops the others'. When that leaves none,
        -- the idle clock restarts now: the lease ended when its holder stopped, which is only known now.
        local function live_leases(key, n, a)
          local fields = redis.call('HGETALL', key)
          local total = 0
          local dropped = false
          for i = 1, #fields, 2 do
            local f = fields[i]
            if string.sub(f, 1, 2) == 'L:' then
              if redis.call('EXISTS', rkey(string.sub(f, 3))) == 1 then
                total = total + tonumber(fields[i + 1])
              else
                redis.call('HDEL', key, f)
                dropped = true
              end
            end
          end
          if total ~= n then redis.call('HSET', key, 'n', total) end
          if dropped and total == 0 and now_up > a then
            redis.call('HSET', key, 'a', fmt(now_up))
            a = now_up
          end
          return total, a
        end

        -- Reads a session, ending it first when it is due (and holds no live lease). Returns the live state, or nil
        -- and, when this call ended it, the end {reason, description, expired at, last active, recorded}.
        local function visit(id, key)
          local h = redis.call('HMGET', key, 'c', 'a', 'n', 'o', 'm', 'g')
          if not h[1] then return nil, nil end
          local c = tonumber(h[1])
          local a = tonumber(h[2])
          local n = tonumber(h[3]) or 0
          local dl, reason = due_at(c, a)
          if dl ~= nil and now_end >= dl then
            local held = 0
            local a2 = a
            if n > 0 then held, a2 = live_leases(key, n, a) end
            if held == 0 and a2 == a then
              local rec = finish(id, key, reason, '', dl, a)
              return nil, {reason, '', dl, a, rec}
            end
            n = held
            a = a2
            if n == 0 then set_ttl(key, c, a, 0) end
          end
          return {c = c, a = a, n = n, o = h[4], m = h[5], g = h[6] or ''}, nil
        end

        local function answer_live(s)
          local has_owner = 0
          if s.o then has_owner = 1 end
          return {1, fmt(s.c), fmt(s.a), s.o or '', has_owner, s.m or '', s.g}
        end

        local function answer_ended(e, kind)
          return {kind, e[1], e[2], fmt(e[3]), fmt(e[4]), e[5], 1}
        end

        local function answer_tombstone(id)
          local t = redis.call('HMGET', tkey(id), 'r', 'x', 'a', 'd')
          if not t[1] then return {0} end
          if now_dn - tonumber(t[2]) >= retention then return {0} end
          return {2, t[1], t[4] or '', t[2], t[3], 1, 0}
        end

        """;

    /// <summary>
    /// Lookup, touch or lease. ARGV 13 id, 14 mode (<c>l</c>, <c>t</c>, <c>b</c>), 15 touch write tolerance (µs),
    /// 16 lease heartbeat time to live (ms). Answers {0} unknown, {1, created, last active, owner, has owner,
    /// metadata, incarnation} live, {2, reason, description, expired at, last active, recorded, ended by this call}.
    /// </summary>
    public static readonly RedisScript Access = new(Prelude + """
        local id = ARGV[13]
        local mode = ARGV[14]
        local key = skey(id)
        local s, ended = visit(id, key)
        if ended then return answer_ended(ended, 2) end
        if not s then return answer_tombstone(id) end
        if mode == 't' then
          local tol = tonumber(ARGV[15])
          if now_up > s.a and now_up - s.a >= tol then
            s.a = now_up
            redis.call('HSET', key, 'a', fmt(s.a))
            set_ttl(key, s.c, s.a, s.n)
          end
        elseif mode == 'b' then
          if now_up > s.a then
            s.a = now_up
            redis.call('HSET', key, 'a', fmt(s.a))
          end
          s.n = redis.call('HINCRBY', key, 'n', 1)
          redis.call('HINCRBY', key, 'L:' .. rid, 1)
          if s.n == 1 then redis.call('PERSIST', key) end
          redis.call('SET', rkey(rid), '1', 'PX', ARGV[16])
        end
        return answer_live(s)
        """);

    /// <summary>
    /// Releases one lease of this replica on one incarnation of a session. ARGV 13 id, 14 incarnation.
    /// Answers 1 when released, 0 when there was nothing to release.
    /// </summary>
    public static readonly RedisScript Release = new(Prelude + """
        local id = ARGV[13]
        local key = skey(id)
        local h = redis.call('HMGET', key, 'c', 'a', 'n', 'g', 'L:' .. rid)
        if not h[1] or h[4] ~= ARGV[14] then return 0 end
        local mine = tonumber(h[5]) or 0
        if mine <= 0 then return 0 end
        if mine == 1 then
          redis.call('HDEL', key, 'L:' .. rid)
        else
          redis.call('HINCRBY', key, 'L:' .. rid, -1)
        end
        local n = (tonumber(h[3]) or 1) - 1
        if n < 0 then n = 0 end
        local a = tonumber(h[2])
        if now_up > a then a = now_up end
        redis.call('HSET', key, 'n', n, 'a', fmt(a))
        set_ttl(key, tonumber(h[1]), a, n)
        return 1
        """);

    /// <summary>
    /// Ends a session with a reason; first end wins. ARGV 13 id, 14 code, 15 description of a custom reason.
    /// Answers {0} when not live, {1, code, description, expired at, last active, recorded} when this call ended it,
    /// {3, ...the same} when it was overdue and ended for that reason instead.
    /// </summary>
    public static readonly RedisScript End = new(Prelude + """
        local id = ARGV[13]
        local key = skey(id)
        local s, ended = visit(id, key)
        if ended then return answer_ended(ended, 3) end
        if not s then return {0} end
        local x = now_up
        if s.a > x then x = s.a end
        local rec = finish(id, key, ARGV[14], ARGV[15], x, s.a)
        return {1, ARGV[14], ARGV[15], fmt(x), fmt(s.a), rec, 1}
        """);

    /// <summary>
    /// Creates a session. ARGV 13 id, 14 owner, 15 has owner (1/0), 16 metadata JSON (empty: none), 17 incarnation,
    /// 18 max sessions. Answers {status, created, previous...}: status 1 created, 0 a live session has the id, -1 at
    /// capacity; then 1 and the end of an overdue session of the same id that this call ended, or 0.
    /// </summary>
    public static readonly RedisScript Create = new(Prelude + """
        local id = ARGV[13]
        local key = skey(id)
        local prev = nil
        if redis.call('EXISTS', key) == 1 then
          local s, ended = visit(id, key)
          if s then return {0, '0', 0} end
          prev = ended
        end
        local function reply(status, created)
          if prev then return {status, created, 1, prev[1], prev[2], fmt(prev[3]), fmt(prev[4]), prev[5]} end
          return {status, created, 0}
        end
        if redis.call('ZCARD', DL) >= tonumber(ARGV[18]) then return reply(-1, '0') end
        local fields = {'c', fmt(now_up), 'a', fmt(now_up), 'n', '0', 'g', ARGV[17]}
        if ARGV[15] == '1' then
          fields[#fields + 1] = 'o'
          fields[#fields + 1] = ARGV[14]
        end
        if ARGV[16] ~= '' then
          fields[#fields + 1] = 'm'
          fields[#fields + 1] = ARGV[16]
        end
        local pending = redis.call('GET', mkey(id))
        if pending then
          fields[#fields + 1] = 'i'
          fields[#fields + 1] = pending
          redis.call('DEL', mkey(id))
        end
        redis.call('HSET', key, unpack(fields))
        set_ttl(key, now_up, now_up, 0)
        local dl = due_at(now_up, now_up)
        if dl then redis.call('ZADD', DL, fmt(dl), id) else redis.call('ZADD', DL, '+inf', id) end
        return reply(1, fmt(now_up))
        """);

    /// <summary>
    /// Sweeps one batch of the due schedule. ARGV 13 batch size. Answers {looked at, then per session ended:
    /// id, reason, expired at, last active, recorded}. Sessions that are not due after all are rescheduled.
    /// </summary>
    public static readonly RedisScript Sweep = new(Prelude + """
        local ids = redis.call('ZRANGEBYSCORE', DL, '-inf', fmt(now_end), 'LIMIT', 0, tonumber(ARGV[13]))
        local out = {#ids}
        for _, id in ipairs(ids) do
          local key = skey(id)
          local s, ended = visit(id, key)
          if ended then
            out[#out + 1] = id
            out[#out + 1] = ended[1]
            out[#out + 1] = fmt(ended[3])
            out[#out + 1] = fmt(ended[4])
            out[#out + 1] = ended[5]
          elseif not s then
            redis.call('ZREM', DL, id)
          elseif s.n > 0 then
            redis.call('ZADD', DL, fmt(now_end + recheck), id)
          else
            local dl = due_at(s.c, s.a)
            if dl then redis.call('ZADD', DL, fmt(dl), id) else redis.call('ZADD', DL, '+inf', id) end
          end
        end
        return out
        """);

    /// <summary>Records a tombstone. ARGV 13 id, 14 code, 15 description, 16 expired at, 17 last active. Answers 1 when kept.</summary>
    public static readonly RedisScript Record = new(Prelude + """
        return record(ARGV[13], ARGV[14], ARGV[15], tonumber(ARGV[16]), tonumber(ARGV[17]))
        """);

    /// <summary>Drops tombstones past retention or capacity. Answers how many.</summary>
    public static readonly RedisScript Prune = new(Prelude + """
        return trim()
        """);

    /// <summary>
    /// Keeps the MCP initialize parameters of a session: in its hash when it is registered, otherwise in a pending
    /// key that registration absorbs. ARGV 13 id, 14 JSON, 15 pending time to live (ms).
    /// </summary>
    public static readonly RedisScript StoreInitialize = new(Prelude + """
        local key = skey(ARGV[13])
        if redis.call('EXISTS', key) == 1 then
          redis.call('HSET', key, 'i', ARGV[14])
        else
          redis.call('SET', mkey(ARGV[13]), ARGV[14], 'PX', ARGV[15])
        end
        return 1
        """);
}
