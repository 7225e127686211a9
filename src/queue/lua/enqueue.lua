-- ARGV 6-9: queue, job id, message (JSON), QUEUE_MAX_LENGTH. Returns the place in line, or -1 when the queue is full.
local queue, id, message, maxLength = ARGV[6], ARGV[7], ARGV[8], tonumber(ARGV[9])
local wait = key('wait', queue)
if redis.call('ZCARD', wait) + redis.call('ZCARD', key('delayed', queue)) >= maxLength then return -1 end
local meta = key('meta', queue)
local seq = redis.call('HINCRBY', meta, 'seq', 1)
redis.call('HINCRBY', meta, 'enqueued', 1)
redis.call('HSET', jobKey(queue, id), 'message', message, 'seq', seq, 'attempts', 0, 'state', 'waiting', 'enqueuedAt', now)
redis.call('ZADD', wait, seq, id)
redis.call('ZADD', p .. 'queues', 0, queue)
touch(queue)
redis.call('PUBLISH', p .. 'wake', queue)
return redis.call('ZRANK', wait, id) + 1
