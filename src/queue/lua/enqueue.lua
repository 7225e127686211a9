-- ARGV 6-11: queue, job id, message (JSON), QUEUE_MAX_LENGTH, idempotency key ('' for none), its lifetime (ms).
-- Returns { place in line, job id }: the first job's under a key kept, { -1 } when the queue is full.
local queue, id, message, maxLength, idemKey, idemTtl = ARGV[6], ARGV[7], ARGV[8], tonumber(ARGV[9]), ARGV[10], ARGV[11]
-- queue names hold no '|', so queue and key cannot run into one another
local idem = idemKey ~= '' and (p .. 'idem:' .. queue .. '|' .. idemKey) or nil
if idem then
  local earlier = redis.call('GET', idem)
  if earlier then
    local position, job = string.match(earlier, '^(%d+) (.*)$')
    return { tonumber(position), job }
  end
end
local wait = key('wait', queue)
if redis.call('ZCARD', wait) + redis.call('ZCARD', key('delayed', queue)) >= maxLength then return { -1 } end
local meta = key('meta', queue)
local seq = redis.call('HINCRBY', meta, 'seq', 1)
redis.call('HINCRBY', meta, 'enqueued', 1)
redis.call('HSET', jobKey(queue, id), 'message', message, 'seq', seq, 'attempts', 0, 'state', 'waiting', 'enqueuedAt', now)
redis.call('ZADD', wait, seq, id)
redis.call('ZADD', p .. 'queues', 0, queue)
touch(queue)
redis.call('PUBLISH', p .. 'wake', queue)
local position = redis.call('ZRANK', wait, id) + 1
if idem then redis.call('SET', idem, position .. ' ' .. id, 'PX', idemTtl) end
return { position, id }
