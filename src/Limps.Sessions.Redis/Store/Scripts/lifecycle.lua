-- The rest of the shared part, after prelude.lua, for the scripts that may end a session or read a tombstone: the
-- remaining common arguments, the ledger and schedule keys, and the lifecycle helpers.
local retention = tonumber(ARGV[6])
local cap = tonumber(ARGV[7])
local rid = ARGV[9]
local skew = tonumber(ARGV[10])
local announce = ARGV[11] == '1'
local recheck = tonumber(ARGV[12])
local DL = B .. 'deadlines'
local LG = B .. 'ledger'
local SEQ = B .. 'ledger:seq'
local function tkey(id) return B .. id .. ':t' end
-- The index of one owner's live handles (handle stores only; sessions have none, and removing from it is then a no-op).
-- Handles are minted into their owner's shard, so the index is always in the script's slot.
local function okey(owner) return B .. 'own:' .. owner end

-- The instant that decides whether a session is overdue: the caller's clock, capped (when a skew is set) by
-- Redis's own clock plus that skew, so a replica whose clock runs ahead cannot end sessions early.
local now_end = now_dn
if skew > 0 then
  if redis.replicate_commands then redis.replicate_commands() end
  local t = redis.call('TIME')
  local rnow = tonumber(t[1]) * 1000000 + tonumber(t[2])
  if rnow + skew < now_end then now_end = rnow + skew end
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
-- The owner (nil: none) is kept so every replica can release the session as its owner and answer another user's
-- ended session as unknown.
local function record(id, code, desc, x, a, owner)
  if retention <= 0 or now_dn - x >= retention then return 0 end
  local tk = tkey(id)
  redis.call('DEL', tk)
  local fields = {'r', code, 'x', fmt(x), 'a', fmt(a)}
  if desc ~= '' then
    fields[#fields + 1] = 'd'
    fields[#fields + 1] = desc
  end
  if owner then
    fields[#fields + 1] = 'o'
    fields[#fields + 1] = owner
  end
  redis.call('HSET', tk, unpack(fields))
  local ms = math.ceil((retention - (now_dn - x)) / 1000)
  if ms < 1 then ms = 1 end
  redis.call('PEXPIRE', tk, fmt(ms))
  if not redis.call('ZSCORE', LG, id) then
    redis.call('ZADD', LG, redis.call('INCR', SEQ), id)
  end
  trim()
  return 1
end

-- Ends a live session: removes it (its leases with it), writes its tombstone, announces the end. Returns whether it
-- was recorded. The announcement is "replica\nid\ncode\nexpired\nlast\nowner length in bytes (-1: none)\n" then
-- the owner and the description, which may hold any byte.
local function finish(id, key, code, desc, x, a, owner)
  redis.call('DEL', key)
  redis.call('ZREM', DL, id)
  if owner then redis.call('ZREM', okey(owner), id) end
  local rec = record(id, code, desc, x, a, owner)
  if announce then
    local olen = -1
    if owner then olen = string.len(owner) end
    -- The channel is the store's, not the shard's: the prefix is what comes before the hash tag.
    local P = string.sub(B, 1, string.find(B, '{', 1, true) - 1)
    redis.call('PUBLISH', P .. 'ended', rid .. '\n' .. id .. '\n' .. code .. '\n' .. fmt(x) .. '\n' .. fmt(a) .. '\n'
      .. olen .. '\n' .. (owner or '') .. desc)
  end
  return rec
end

-- Counts the leases that are still alive (field l:<token> = expiry in Redis milliseconds) and drops the lapsed ones:
-- a lease whose holder stopped renewing it (a replica that crashed, or a lease call whose answer the caller never
-- got) stops counting on its own. When that leaves none, the idle clock restarts now: the lease ended when its
-- holder stopped, which is only known now.
local function live_leases(key, n, a)
  local fields = redis.call('HGETALL', key)
  local total = 0
  local dropped = false
  for i = 1, #fields, 2 do
    local f = fields[i]
    if string.sub(f, 1, 2) == 'l:' then
      if tonumber(fields[i + 1]) > rnow_ms() then
        total = total + 1
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
-- and, when this call ended it, the end {reason, description, expired at, last active, recorded}. h is the session's
-- HMGET of c, a, n, o, m, g when the caller has read it already (nil: read here).
local function visit(id, key, h)
  h = h or redis.call('HMGET', key, 'c', 'a', 'n', 'o', 'm', 'g')
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
      local rec = finish(id, key, reason, '', dl, a, h[4])
      return nil, {reason, '', dl, a, rec, h[4]}
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
  return {1, s.c, s.a, s.o or '', has_owner, s.m or '', s.g}
end

-- An owner travels as two values: the owner ('' when none) and 1 or 0 for whether there is one.
local function owner_pair(o)
  if o then return o, 1 end
  return '', 0
end

local function answer_ended(e, kind)
  local o, has = owner_pair(e[6])
  return {kind, e[1], e[2], fmt(e[3]), fmt(e[4]), e[5], 1, o, has}
end

local function answer_tombstone(id)
  local t = redis.call('HMGET', tkey(id), 'r', 'x', 'a', 'd', 'o')
  if not t[1] then return {0} end
  if now_dn - tonumber(t[2]) >= retention then return {0} end
  local o, has = owner_pair(t[5])
  return {2, t[1], t[4] or '', t[2], t[3], 1, 0, o, has}
end
