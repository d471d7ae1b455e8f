-- Replaces a handle's state if it is still the version the caller read (see write-function.lua). ARGV 14 id, 15 expected
-- version, 16 state JSON, 17 has owner (1/0), 18 owner.
return write_state(ARGV[14], ARGV[15], ARGV[16], ARGV[17], ARGV[18])
