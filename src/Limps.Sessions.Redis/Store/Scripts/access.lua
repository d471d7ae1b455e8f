return access(ARGV[14], ARGV[15], tonumber(ARGV[16]), ARGV[17], ARGV[18], ARGV[19], ARGV[20], ARGV[21], ARGV[22])
