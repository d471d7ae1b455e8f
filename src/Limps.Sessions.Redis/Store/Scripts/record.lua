local owner = nil
if ARGV[19] == '1' then owner = ARGV[20] end
return record(ARGV[14], ARGV[15], ARGV[16], tonumber(ARGV[17]), tonumber(ARGV[18]), owner)
