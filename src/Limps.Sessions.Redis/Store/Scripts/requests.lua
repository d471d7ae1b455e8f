-- The request path's scripts of one shard, sent together: the owner-checked leases, releases, handle uses and handle
-- state writes this replica had queued while its previous call to the shard was on its way (see RedisRequestQueue).
-- ARGV 14 how many, then per call: 'b', id, token, has owner (1/0), owner for a lease (the short answer of the access
-- script); 'r', id, token, given back at (µs) for a release; 'h', id, the released token, given back at, the new token,
-- has owner, owner for a handover (a session's release and its next lease, answered as the lease); 'u', id, touch write
-- tolerance (µs), has owner, owner for a handle's use (the access script's touch, its short answer with the state);
-- 'w', id, expected version, state JSON, has owner, owner for a handle's state write (write-function.lua). Answers one
-- entry per call, in order: the access, release or state-write function's answer, or {-1, message} when that call
-- failed (a wrong type at its key, say), which leaves the others as they are.
local function failed(err)
  if type(err) == 'table' then err = err.err or err.ok end
  return {-1, tostring(err)}
end
-- A release and then a lease of one session: what release() and then access() would do, with one read and one write
-- of the session instead of two each.
local function handover(id, old, at_up, token, has_owner, owner)
  if redis.call('HDEL', skey(id), 'l:' .. old) == 0 then at_up = nil end
  return access(id, 'b', 0, token, 'c', has_owner, owner, '0', '1', at_up)
end
local out = {}
local i = 15
for k = 1, tonumber(ARGV[14]) do
  local ok, answer
  local kind = ARGV[i]
  if kind == 'b' then
    ok, answer = pcall(access, ARGV[i + 1], 'b', 0, ARGV[i + 2], 'c', ARGV[i + 3], ARGV[i + 4], '0', '1')
    i = i + 5
  elseif kind == 'u' then
    ok, answer = pcall(access, ARGV[i + 1], 't', tonumber(ARGV[i + 2]), '', 'c', ARGV[i + 3], ARGV[i + 4], '1', '1')
    i = i + 5
  elseif kind == 'w' then
    ok, answer = pcall(write_state, ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5])
    i = i + 6
  elseif kind == 'h' then
    ok, answer = pcall(handover, ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3]), ARGV[i + 4], ARGV[i + 5], ARGV[i + 6])
    i = i + 7
  else
    ok, answer = pcall(release, ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3]))
    i = i + 4
  end
  if ok then out[k] = answer else out[k] = failed(answer) end
end
return out
