-- Moves on the expiry of the leases a holder still has on one session (one session's keys only, so one hash slot).
local key = skey(ARGV[14])
local h = redis.call('HMGET', key, 'c', 'a', 'n')
if not h[1] then return 0 end
local until_ms = rnow_ms() + lease_ms
local renewed = 0
for i = 15, #ARGV do
  local f = 'l:' .. ARGV[i]
  if redis.call('HEXISTS', key, f) == 1 then
    redis.call('HSET', key, f, until_ms)
    renewed = renewed + 1
  end
end
if renewed > 0 then set_ttl(key, tonumber(h[1]), tonumber(h[2]), tonumber(h[3]) or renewed) end
return renewed
