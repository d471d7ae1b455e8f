-- Shared by every script: the common arguments (ARGV 1-13) and the helpers. Each script's own arguments start at 14.
-- Only what the light scripts (release, renew) need is here; lifecycle.lua holds the rest. Everything at a script's
-- top level runs on every call (each local function is a new closure, each tonumber a conversion), on Redis's one
-- thread, so a script carries only the pieces it uses.
-- ARGV 1 is the start of every key of the shard the script works in, hash tag included (<prefix>{<tag>}:): every key
-- a script touches is built from it, so one script call touches one Redis Cluster hash slot.
local B = ARGV[1]
local now_dn = tonumber(ARGV[2])
local now_up = tonumber(ARGV[3])
local idle = tonumber(ARGV[4])
local life = tonumber(ARGV[5])
local grace_ms = tonumber(ARGV[8])
local lease_ms = tonumber(ARGV[13])

-- An integral number as a string, for text built here (an announcement) and the colder scripts. Lua's own tostring
-- keeps 14 digits and instants have 16, so it is never used for numbers. The request path passes its numbers to
-- redis.call and returns them as they are instead: redis-server writes an integral number exactly (and answers it as
-- an integer), which costs a fraction of string.format's microsecond per number on Redis's one thread.
local function fmt(n) return string.format('%.0f', n) end
local function skey(id) return B .. id .. ':s' end

-- Redis's own time in milliseconds, read at most once per script. Leases expire in it (not in a replica's clock):
-- a lease is alive while its holder renews it, and only Redis sees every holder's renewals on one clock.
local rnow_cache = nil
local function rnow_ms()
  if rnow_cache == nil then
    if redis.replicate_commands then redis.replicate_commands() end
    local t = redis.call('TIME')
    rnow_cache = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return rnow_cache
end

-- When a session becomes due and why, from its creation and last activity (nil: never).
local function due_at(c, a)
  local dl = nil
  local reason = 'timeout'
  if idle > 0 then dl = a + idle end
  if life > 0 then
    local le = c + life
    if dl == nil or le < dl then
      reason = 'lifetime'
      if le > a then dl = le else dl = a end
    end
  end
  return dl, reason
end

-- A session's keys live until its deadline plus the grace. A leased one lives at least as long as a lease does
-- unless renewed (its holder's renewals move it on), so no key outlives a holder that stopped by more than the grace.
-- Only a session that never expires (no idle timeout, no lifetime) has no TTL.
local function set_ttl(key, c, a, n)
  local dl = due_at(c, a)
  if dl == nil then
    redis.call('PERSIST', key)
    return
  end
  local ms = math.ceil((dl - now_dn) / 1000)
  if ms < 0 then ms = 0 end
  if n > 0 and ms < lease_ms then ms = lease_ms end
  redis.call('PEXPIRE', key, ms + grace_ms)
end
