local p, now, maxAttempts, resultTtl, queueTtl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])

local function key (name, queue) return p .. name .. ':' .. queue end
local function jobKey (queue, id) return p .. 'job:' .. queue .. ':' .. id end

-- after a change: a queue with jobs is scored +inf; one that just emptied, by now, and its keys expire with it
local function touch (queue)
  local score = redis.call('ZSCORE', p .. 'queues', queue)
  if not score then return end
  local n = redis.call('ZCARD', key('wait', queue)) + redis.call('ZCARD', key('delayed', queue)) + redis.call('ZCARD', key('active', queue))
  if n > 0 then
    if score ~= 'inf' then
      redis.call('ZADD', p .. 'queues', '+inf', queue)
      redis.call('PERSIST', key('meta', queue))
      redis.call('PERSIST', key('failed', queue))
    end
  elseif score == 'inf' then
    redis.call('ZADD', p .. 'queues', now, queue)
    redis.call('PEXPIRE', key('meta', queue), queueTtl)
    redis.call('PEXPIRE', key('failed', queue), queueTtl)
  end
end

local function finish (queue, id, state)
  local job = jobKey(queue, id)
  redis.call('HSET', job, 'state', state, 'finishedAt', now)
  redis.call('HDEL', job, 'receipt')
  redis.call('PEXPIRE', job, resultTtl)
  redis.call('HINCRBY', key('meta', queue), state, 1)
end

-- a job's outcome as JSON; the events channel carries one, or an array of several (ack.lua)
local function eventJson (kind, queue, id, rest)
  return '{"type":"' .. kind .. '","queue":' .. cjson.encode(queue) .. ',"job":' .. cjson.encode(id) .. rest .. '}'
end

local function event (kind, queue, id, rest)
  redis.call('PUBLISH', p .. 'events', eventJson(kind, queue, id, rest))
end

-- back in line at its old place, which is the front
local function toLine (queue, id)
  local job = jobKey(queue, id)
  redis.call('HSET', job, 'state', 'waiting')
  redis.call('HDEL', job, 'receipt')
  redis.call('ZADD', key('wait', queue), redis.call('HGET', job, 'seq'), id)
  redis.call('PUBLISH', p .. 'wake', queue)
end

-- a held job leaves its holder: back in line (after delay ms), or failed when that was its last attempt
local function giveBack (queue, id, err, delay)
  local job = jobKey(queue, id)
  redis.call('ZREM', key('active', queue), id)
  redis.call('HSET', job, 'error', err)
  local attempts = tonumber(redis.call('HGET', job, 'attempts'))
  if attempts >= maxAttempts then
    finish(queue, id, 'failed')
    local failed = key('failed', queue)
    redis.call('LPUSH', failed, '{"job":' .. cjson.encode(id) .. ',"message":' .. redis.call('HGET', job, 'message') ..
      ',"error":' .. cjson.encode(err) .. ',"attempts":' .. attempts .. ',"failedAt":' .. now .. '}')
    redis.call('LTRIM', failed, 0, 999)
    event('failed', queue, id, ',"error":' .. cjson.encode(err) .. ',"attempts":' .. attempts)
  elseif delay > 0 then
    redis.call('HSET', job, 'state', 'delayed')
    redis.call('HDEL', job, 'receipt')
    redis.call('ZADD', key('delayed', queue), now + delay, id)
  else
    toLine(queue, id)
  end
end

-- lapsed holds go back (or fail), delayed jobs that are due come back
local function sweepQueue (queue, limit)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', key('active', queue), '-inf', now, 'LIMIT', 0, limit)) do
    giveBack(queue, id, 'not acknowledged within its visibility time', 0)
  end
  local delayed = key('delayed', queue)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, limit)) do
    redis.call('ZREM', delayed, id)
    toLine(queue, id)
  end
end

-- 200 when the receipt holds the job now, 409 when it does not, 404 for no such job
local function holds (queue, id, receipt)
  local fields = redis.call('HMGET', jobKey(queue, id), 'state', 'receipt')
  if not fields[1] then return 404 end
  if fields[1] ~= 'active' or fields[2] ~= receipt then return 409 end
  return 200
end

-- a delayed job is out of the line but keeps its sequence number: its place is the one it comes back to, O(log n)
local function delayedPlace (queue, id)
  return redis.call('ZCOUNT', key('wait', queue), '-inf', '(' .. redis.call('HGET', jobKey(queue, id), 'seq')) + 1
end
