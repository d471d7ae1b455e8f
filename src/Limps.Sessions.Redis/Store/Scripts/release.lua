-- Releasing an unknown token (already released, lapsed, or the session ended) changes nothing, so a release may be
-- retried until Redis confirms it.
local id = ARGV[14]
local key = skey(id)
if redis.call('HDEL', key, 'l:' .. ARGV[15]) == 0 then return 0 end
local h = redis.call('HMGET', key, 'c', 'a', 'n')
local n = (tonumber(h[3]) or 1) - 1
if n < 0 then n = 0 end
local a = tonumber(h[2])
if now_up > a then a = now_up end
redis.call('HSET', key, 'n', n, 'a', fmt(a))
set_ttl(key, tonumber(h[1]), a, n)
return 1
