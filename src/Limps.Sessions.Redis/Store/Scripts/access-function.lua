-- The access of one session, as a function: the access script calls it once with its arguments, the request script
-- once per lease it carries. Arguments as the access script's ARGV 14-22 (see RedisScripts.Access): id, mode, touch
-- write tolerance, lease token, 'c' to check the owner, has owner, owner, '1' for handles, '1' for the short answer.
local function access(id, mode, tol, token, check, has_owner, owner, handles, short)
  local key = skey(id)
  -- One read of the session serves the owner check and the visit.
  local h = redis.call('HMGET', key, 'c', 'a', 'n', 'o', 'm', 'g')
  if check == 'c' and h[1] then
    -- Owner-checked: another owner's live session is left exactly as it is (not touched, not leased, not even ended
    -- when overdue) and answered {3}; the caller reads that as unknown. An ended one's owner is in its tombstone, which
    -- the caller compares.
    local mine
    if has_owner == '1' then mine = (h[4] == owner) else mine = (not h[4]) end
    if not mine then return {3} end
  end
  local s, ended = visit(id, key, h)
  if ended then return answer_ended(ended, 2) end
  if not s then return answer_tombstone(id) end
  if mode == 't' then
    if now_up > s.a and now_up - s.a >= tol then
      s.a = now_up
      redis.call('HSET', key, 'a', fmt(s.a))
      set_ttl(key, s.c, s.a, s.n)
    end
  elseif mode == 'b' then
    -- The caller chose the token, so a lease whose answer it never got can still be released by it; and one nobody
    -- renews lapses by itself. Writing the same token twice is harmless. One HSET writes the activity, the lease and
    -- the count as if the lease were new; it answers how many fields it added, so whether the token was new is known
    -- (a and, unless it was missing, n already exist), and a repeated token's count is put back.
    local fields = {'l:' .. token, fmt(rnow_ms() + lease_ms), 'n', s.n + 1}
    if now_up > s.a then
      s.a = now_up
      fields[5] = 'a'
      fields[6] = fmt(s.a)
    end
    local added = redis.call('HSET', key, unpack(fields))
    if not h[3] then added = added - 1 end
    if added == 1 then
      s.n = s.n + 1
    elseif h[3] then
      redis.call('HSET', key, 'n', s.n)
    else
      redis.call('HDEL', key, 'n')
    end
    set_ttl(key, s.c, s.a, s.n)
  end
  if short == '1' then
    -- The short answer of an owner-checked lease, the request path's: the caller knows the owner (the same as its own)
    -- and needs no incarnation.
    return {1, fmt(s.c), fmt(s.a), s.m or ''}
  end
  local live = answer_live(s)
  if handles == '1' then
    -- Handles: the state and its version travel with the answer, so a use is one round trip.
    local st = redis.call('HMGET', key, 'st', 'sv')
    live[#live + 1] = st[1] or ''
    live[#live + 1] = st[2] or '0'
  end
  return live
end
