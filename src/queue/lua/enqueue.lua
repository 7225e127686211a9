-- ARGV 6-8: queue, QUEUE_MAX_LENGTH, idempotency keys' lifetime (ms); then per job (the enqueues of one
-- event-loop turn, in order): job id, message (JSON), idempotency key ('' for none).
-- Returns per job { place in line, job id }: the first job's under a key kept, { -1 } when the queue is full.
-- One wake-up goes out for all the jobs put in line: 'COUNT QUEUE' when more than one (a queue name holds no space).
local queue, maxLength, idemTtl = ARGV[6], tonumber(ARGV[7]), ARGV[8]
local wait, delayed, meta = key('wait', queue), key('delayed', queue), key('meta', queue)
-- the line's length at the start, and the jobs this script added to it: counted once, not per job
local length, added = redis.call('ZCARD', wait) + redis.call('ZCARD', delayed), 0
local results = {}
for i = 9, #ARGV, 3 do
  local id, message, idemKey = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  -- queue names hold no '|', so queue and key cannot run into one another
  local idem = idemKey ~= '' and (p .. 'idem:' .. queue .. '|' .. idemKey) or nil
  local earlier = idem and redis.call('GET', idem)
  if earlier then
    local position, job = string.match(earlier, '^(%d+) (.*)$')
    results[#results + 1] = { tonumber(position), job }
  elseif length + added >= maxLength then
    results[#results + 1] = { -1 }
  else
    local seq = redis.call('HINCRBY', meta, 'seq', 1)
    redis.call('HSET', jobKey(queue, id), 'message', message, 'seq', seq, 'attempts', 0, 'state', 'waiting', 'enqueuedAt', now)
    redis.call('ZADD', wait, seq, id)
    added = added + 1
    local position = redis.call('ZRANK', wait, id) + 1
    if idem then redis.call('SET', idem, position .. ' ' .. id, 'PX', idemTtl) end
    results[#results + 1] = { position, id }
  end
end
if added > 0 then
  redis.call('HINCRBY', meta, 'enqueued', added)
  redis.call('ZADD', p .. 'queues', 0, queue)
  touch(queue)
  redis.call('PUBLISH', p .. 'wake', added == 1 and queue or (added .. ' ' .. queue))
end
return results
