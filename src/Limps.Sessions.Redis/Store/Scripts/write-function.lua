-- The compare-and-set of a handle's state, as a function the request script calls once per write it carries: replaces
-- the state only if it is still the version the caller read, so concurrent updates of one handle each see the one
-- before and none is lost; checks the owner first and records activity like a touch that always writes. Arguments:
-- id, expected version, state JSON, has owner (1/0), owner. Answers {1, new version}, {3} for another owner's handle,
-- {4, state, version} when another update came first, or the access function's answers for an ended or unknown handle.
local function write_state(id, expected, state, has_owner, owner)
  local key = skey(id)
  -- One read serves the owner check, the visit and the version compared (h[7], h[8]: the visit never writes them, and
  -- a visit that ends the handle answers before they are looked at).
  local h = redis.call('HMGET', key, 'c', 'a', 'n', 'o', 'm', 'g', 'st', 'sv')
  if h[1] then
    local mine
    if has_owner == '1' then mine = (h[4] == owner) else mine = (not h[4]) end
    if not mine then return {3} end
  end
  local s, ended = visit(id, key, h)
  if ended then return answer_ended(ended, 2) end
  if not s then return answer_tombstone(id) end
  local sv = h[8] or '0'
  if sv ~= expected then return {4, h[7] or '', sv} end
  local v = (tonumber(h[8]) or 0) + 1
  if now_up > s.a then s.a = now_up end
  redis.call('HSET', key, 'st', state, 'sv', v, 'a', s.a)
  set_ttl(key, s.c, s.a, s.n)
  return {1, v}
end
