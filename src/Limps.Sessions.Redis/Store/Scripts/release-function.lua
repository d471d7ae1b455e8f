-- The release of one lease by its token, as a function: the release script calls it once, the request script once per
-- release it carries. at_up is when the lease was given back (µs, rounded up): the session's idle clock starts there,
-- even when the release reaches Redis a little later, riding with a later script.
-- Releasing an unknown token (already released, lapsed, or the session ended) changes nothing, so a release may be
-- retried until Redis confirms it.
local function release(id, token, at_up)
  local key = skey(id)
  if redis.call('HDEL', key, 'l:' .. token) == 0 then return 0 end
  local h = redis.call('HMGET', key, 'c', 'a', 'n')
  local n = (tonumber(h[3]) or 1) - 1
  if n < 0 then n = 0 end
  local a = tonumber(h[2])
  if at_up > a then a = at_up end
  redis.call('HSET', key, 'n', n, 'a', a)
  set_ttl(key, tonumber(h[1]), a, n)
  return 1
end
