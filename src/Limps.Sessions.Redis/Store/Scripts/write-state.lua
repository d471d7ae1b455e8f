-- Replaces a handle's state if it is still the version the caller read (compare-and-set): concurrent updates of one
-- handle each see the one before, and none is lost. Checks the owner first and records activity like a touch that
-- always writes. ARGV 14 id, 15 expected version, 16 state JSON, 17 has owner (1/0), 18 owner.
local id = ARGV[14]
local key = skey(id)
-- One read serves the owner check, the visit and the version compared (h[7], h[8]: the visit never writes them, and
-- a visit that ends the handle answers before they are looked at).
local h = redis.call('HMGET', key, 'c', 'a', 'n', 'o', 'm', 'g', 'st', 'sv')
if h[1] then
  local mine
  if ARGV[17] == '1' then mine = (h[4] == ARGV[18]) else mine = (not h[4]) end
  if not mine then return {3} end
end
local s, ended = visit(id, key, h)
if ended then return answer_ended(ended, 2) end
if not s then return answer_tombstone(id) end
local sv = h[8] or '0'
if sv ~= ARGV[15] then return {4, h[7] or '', sv} end
local v = (tonumber(h[8]) or 0) + 1
if now_up > s.a then s.a = now_up end
redis.call('HSET', key, 'st', ARGV[16], 'sv', v, 'a', s.a)
set_ttl(key, s.c, s.a, s.n)
return {1, v}
