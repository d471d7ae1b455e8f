local id = ARGV[14]
local key = skey(id)
if ARGV[17] == 'c' then
  -- Owner-checked (a handle destroyed by its caller): another owner's live one is left as it is and answered {4}.
  local h = redis.call('HMGET', key, 'c', 'o')
  if h[1] then
    local mine
    if ARGV[18] == '1' then mine = (h[2] == ARGV[19]) else mine = (not h[2]) end
    if not mine then return {4} end
  end
end
local s, ended = visit(id, key)
if ended then return answer_ended(ended, 3) end
if not s then return {0} end
local x = now_up
if s.a > x then x = s.a end
local rec = finish(id, key, ARGV[15], ARGV[16], x, s.a, s.o)
local o, has = owner_pair(s.o)
return {1, ARGV[15], ARGV[16], fmt(x), fmt(s.a), rec, 1, o, has}
