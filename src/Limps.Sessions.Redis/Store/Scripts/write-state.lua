-- Replaces a handle's state if it is still the version the caller read (compare-and-set): concurrent updates of one
-- handle each see the one before, and none is lost. Checks the owner first and records activity like a touch that
-- always writes. ARGV 14 id, 15 expected version, 16 state JSON, 17 has owner (1/0), 18 owner.
local id = ARGV[14]
local key = skey(id)
local h = redis.call('HMGET', key, 'c', 'o')
if h[1] then
  local mine
  if ARGV[17] == '1' then mine = (h[2] == ARGV[18]) else mine = (not h[2]) end
  if not mine then return {3} end
end
local s, ended = visit(id, key)
if ended then return answer_ended(ended, 2) end
if not s then return answer_tombstone(id) end
local cur = redis.call('HMGET', key, 'st', 'sv')
if (cur[2] or '0') ~= ARGV[15] then return {4, cur[1] or '', cur[2] or '0'} end
local v = (tonumber(cur[2]) or 0) + 1
if now_up > s.a then s.a = now_up end
redis.call('HSET', key, 'st', ARGV[16], 'sv', v, 'a', s.a)
set_ttl(key, s.c, s.a, s.n)
return {1, v}
