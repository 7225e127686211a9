-- ARGV 6-7: instance id, its consumers hash lifetime (ms), then queue, count pairs. Marks the instance alive with its consumers.
local instance, ttl = ARGV[6], ARGV[7]
local consumers = p .. 'consumers:' .. instance
redis.call('ZADD', p .. 'instances', now, instance)
redis.call('ZREMRANGEBYSCORE', p .. 'instances', '-inf', now - 86400000)
redis.call('DEL', consumers)
if #ARGV > 7 then redis.call('HSET', consumers, unpack(ARGV, 8)) end
redis.call('PEXPIRE', consumers, ttl)
return 0
