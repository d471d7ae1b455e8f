local id = ARGV[14]
local mode = ARGV[15]
local key = skey(id)
local s, ended = visit(id, key)
if ended then return answer_ended(ended, 2) end
if not s then return answer_tombstone(id) end
if mode == 't' then
  local tol = tonumber(ARGV[16])
  if now_up > s.a and now_up - s.a >= tol then
    s.a = now_up
    redis.call('HSET', key, 'a', fmt(s.a))
    set_ttl(key, s.c, s.a, s.n)
  end
elseif mode == 'b' then
  if now_up > s.a then
    s.a = now_up
    redis.call('HSET', key, 'a', fmt(s.a))
  end
  -- The caller chose the token, so a lease whose answer it never got can still be released by it; and one nobody
  -- renews lapses by itself. Writing the same token twice is harmless.
  if redis.call('HSET', key, 'l:' .. ARGV[17], fmt(rnow_ms() + lease_ms)) == 1 then
    s.n = redis.call('HINCRBY', key, 'n', 1)
  end
  set_ttl(key, s.c, s.a, s.n)
end
return answer_live(s)
