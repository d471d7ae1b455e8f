local ids = redis.call('ZRANGEBYSCORE', DL, '-inf', fmt(now_end), 'LIMIT', 0, tonumber(ARGV[14]))
local out = {#ids}
for _, id in ipairs(ids) do
  local key = skey(id)
  local s, ended = visit(id, key)
  if ended then
    out[#out + 1] = id
    out[#out + 1] = ended[1]
    out[#out + 1] = fmt(ended[3])
    out[#out + 1] = fmt(ended[4])
    out[#out + 1] = ended[5]
    local o, has = owner_pair(ended[6])
    out[#out + 1] = o
    out[#out + 1] = has
  elseif not s then
    redis.call('ZREM', DL, id)
  elseif s.n > 0 then
    redis.call('ZADD', DL, fmt(now_end + recheck), id)
  else
    local dl = due_at(s.c, s.a)
    if dl then redis.call('ZADD', DL, fmt(dl), id) else redis.call('ZADD', DL, '+inf', id) end
  end
end
return out
