-- Takes back a create whose answer the caller never got. Only that incarnation, and only while nothing used it (no
-- lease, no activity after its creation): then no client can know of it, so it goes without a tombstone. Otherwise it
-- stays and ends like any other session. Answers 1 when removed.
local id = ARGV[14]
local key = skey(id)
local h = redis.call('HMGET', key, 'c', 'a', 'n', 'g', 'o')
if not h[1] or h[4] ~= ARGV[15] then return 0 end
if (tonumber(h[3]) or 0) > 0 or h[1] ~= h[2] then return 0 end
redis.call('DEL', key)
redis.call('ZREM', DL, id)
if h[5] then redis.call('ZREM', okey(h[5]), id) end
return 1
