local id = ARGV[14]
local key = skey(id)
local prev = nil
if redis.call('EXISTS', key) == 1 then
  local s, ended = visit(id, key)
  if s then return {0, '0', 0} end
  prev = ended
end
local function reply(status, created)
  if prev then
    local o, has = owner_pair(prev[6])
    return {status, created, 1, prev[1], prev[2], fmt(prev[3]), fmt(prev[4]), prev[5], 1, o, has}
  end
  return {status, created, 0}
end
if redis.call('ZCARD', DL) >= tonumber(ARGV[19]) then return reply(-1, '0') end
-- Handles: a cap per owner, counted in the owner's index of live handles (ended ones leave it in finish).
local ocap = tonumber(ARGV[21] or '0') or 0
if ocap > 0 and ARGV[16] == '1' and redis.call('ZCARD', okey(ARGV[15])) >= ocap then return reply(-2, '0') end
local fields = {'c', fmt(now_up), 'a', fmt(now_up), 'n', '0', 'g', ARGV[18]}
if ARGV[16] == '1' then
  fields[#fields + 1] = 'o'
  fields[#fields + 1] = ARGV[15]
end
if ARGV[17] ~= '' then
  fields[#fields + 1] = 'm'
  fields[#fields + 1] = ARGV[17]
end
if ARGV[20] and ARGV[20] ~= '' then
  fields[#fields + 1] = 'st'
  fields[#fields + 1] = ARGV[20]
  fields[#fields + 1] = 'sv'
  fields[#fields + 1] = '1'
end
redis.call('HSET', key, unpack(fields))
if ocap > 0 and ARGV[16] == '1' then redis.call('ZADD', okey(ARGV[15]), fmt(now_up), id) end
set_ttl(key, now_up, now_up, 0)
local dl = due_at(now_up, now_up)
if dl then redis.call('ZADD', DL, fmt(dl), id) else redis.call('ZADD', DL, '+inf', id) end
return reply(1, fmt(now_up))
