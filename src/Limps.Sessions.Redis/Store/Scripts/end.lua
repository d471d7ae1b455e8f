local id = ARGV[14]
local key = skey(id)
local s, ended = visit(id, key)
if ended then return answer_ended(ended, 3) end
if not s then return {0} end
local x = now_up
if s.a > x then x = s.a end
local rec = finish(id, key, ARGV[15], ARGV[16], x, s.a, s.o)
local o, has = owner_pair(s.o)
return {1, ARGV[15], ARGV[16], fmt(x), fmt(s.a), rec, 1, o, has}
