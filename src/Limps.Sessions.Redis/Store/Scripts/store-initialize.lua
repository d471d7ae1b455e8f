local key = skey(ARGV[14])
if redis.call('EXISTS', key) == 1 then
  redis.call('HSET', key, 'i', ARGV[15])
else
  redis.call('SET', mkey(ARGV[14]), ARGV[15], 'PX', ARGV[16])
end
return 1
