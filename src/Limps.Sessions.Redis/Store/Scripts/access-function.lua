-- The access of one session, as a function: the access script calls it once with its arguments, the request script
-- once per lease and handle use it carries. Arguments as the access script's ARGV 14-22 (see RedisScripts.Access):
-- id, mode, touch write tolerance, lease token, 'c' to check the owner, has owner, owner, '1' for handles, '1' for the
-- short answer.
-- released_up (the request script's handover only, else nil): the caller has just deleted one lease field of this
-- session, a lease given back at that instant (µs). The release's count and activity are then applied to what this
-- call read instead of being written and read back: the outcome is that of release() and then access(), in half the
-- commands.
local function access(id, mode, tol, token, check, has_owner, owner, handles, short, released_up)
  local key = skey(id)
  -- One read of the session serves the owner check and the visit, and a handle's answer its state and version
  -- (h[7], h[8]; nothing below writes them).
  local h
  if handles == '1' then
    h = redis.call('HMGET', key, 'c', 'a', 'n', 'o', 'm', 'g', 'st', 'sv')
  else
    h = redis.call('HMGET', key, 'c', 'a', 'n', 'o', 'm', 'g')
  end
  -- Whether the count field exists in the hash (a lease's HSET below counts the fields it adds). A missing field
  -- reads as false.
  local n_stored = h[3] and true or false
  if released_up and h[1] then
    -- As release() leaves it: one lease fewer, active at least until it was given back, the count written.
    local n = (tonumber(h[3]) or 1) - 1
    if n < 0 then n = 0 end
    local a = tonumber(h[2])
    if released_up > a then a = released_up end
    h[2] = a
    h[3] = n
  end
  if check == 'c' and h[1] then
    -- Owner-checked: another owner's live session is left exactly as it is (not touched, not leased, not even ended
    -- when overdue) and answered {3}; the caller reads that as unknown. An ended one's owner is in its tombstone, which
    -- the caller compares.
    local mine
    if has_owner == '1' then mine = (h[4] == owner) else mine = (not h[4]) end
    if not mine then
      if released_up then
        -- The release still happens, as it would have alone.
        redis.call('HSET', key, 'n', h[3], 'a', h[2])
        set_ttl(key, tonumber(h[1]), h[2], h[3])
      end
      return {3}
    end
  end
  -- A live session that is not due (the request path's common case) is read here as visit() reads it, into locals
  -- instead of visit()'s table: tables and unpack() are a measurable part of what a call costs Redis's one thread
  -- (benchmarks/redis-script-cost). A due one, which may end or stay because it is held, goes through visit().
  if not h[1] then return answer_tombstone(id) end
  local c = tonumber(h[1])
  local a = tonumber(h[2])
  local n = tonumber(h[3]) or 0
  local dl = due_at(c, a)
  if dl ~= nil and now_end >= dl then
    local s, ended = visit(id, key, h)
    if ended then return answer_ended(ended, 2) end
    c, a, n = s.c, s.a, s.n
  end
  if mode == 't' then
    if now_up > a and now_up - a >= tol then
      a = now_up
      redis.call('HSET', key, 'a', a)
      set_ttl(key, c, a, n)
    end
  elseif mode == 'b' then
    -- The caller chose the token, so a lease whose answer it never got can still be released by it; and one nobody
    -- renews lapses by itself. Writing the same token twice is harmless. One HSET writes the activity, the lease and
    -- the count as if the lease were new; it answers how many fields it added, so whether the token was new is known
    -- (a and, unless it was missing, n already exist), and a repeated token's count is put back. After a release its
    -- activity is written even when the lease's is not later.
    local write_a = released_up ~= nil
    if now_up > a then
      a = now_up
      write_a = true
    end
    local added
    if write_a then
      added = redis.call('HSET', key, 'l:' .. token, rnow_ms() + lease_ms, 'n', n + 1, 'a', a)
    else
      added = redis.call('HSET', key, 'l:' .. token, rnow_ms() + lease_ms, 'n', n + 1)
    end
    if not n_stored then added = added - 1 end
    if added == 1 then
      n = n + 1
    elseif h[3] then
      redis.call('HSET', key, 'n', n)
    else
      redis.call('HDEL', key, 'n')
    end
    set_ttl(key, c, a, n)
  end
  if short == '1' then
    -- The short answers of the request path, owner-checked: the caller knows the owner (the same as its own) and needs
    -- no incarnation. A lease's carries the metadata; a handle use's the state and its version instead (handles have
    -- no metadata), so a use is one round trip.
    if handles == '1' then return {1, c, a, h[7] or '', h[8] or '0'} end
    return {1, c, a, h[5] or ''}
  end
  local live = answer_live({c = c, a = a, n = n, o = h[4], m = h[5], g = h[6] or ''})
  if handles == '1' then
    -- Handles: the state and its version travel with the answer, so a use is one round trip.
    live[#live + 1] = h[7] or ''
    live[#live + 1] = h[8] or '0'
  end
  return live
end
