return release(ARGV[14], ARGV[15], now_up)
