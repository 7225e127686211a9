-- ARGV 6: jobs at most per queue. Lapsed and due jobs of every queue with jobs; forgets queues empty for the queue TTL.
local limit = tonumber(ARGV[6])
for _, queue in ipairs(redis.call('ZRANGEBYSCORE', p .. 'queues', '+inf', '+inf')) do
  sweepQueue(queue, limit)
  touch(queue)
end
redis.call('ZREMRANGEBYSCORE', p .. 'queues', '-inf', '(' .. (now - queueTtl))
return 0
