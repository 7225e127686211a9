-- Included in publish.lua (scripts.ts joins them when it loads them). Keeps a topic's history stream
-- within HISTORY_SIZE messages and HISTORY_TOPIC_MAX_BYTES (its newest message always stays), and every
-- topic's together within HISTORY_MAX_BYTES, the oldest messages of all going first. The bytes are counted
-- in `history-bytes` (topic -> bytes kept) and `history-total`; `history-ages` scores each topic by
-- its oldest kept message. An expired or replaced stream's bytes are released when a publish meets it.
local function historyKeys (prefix)
  return prefix .. KEY.historyBytes, prefix .. KEY.historyTotal, prefix .. KEY.historyAges
end

-- forgets what the topic's history held, once its stream is gone
local function forgetHistory (prefix, topic)
  local sizes, total, ages = historyKeys(prefix)
  local bytes = redis.call('HGET', sizes, topic)
  if bytes then
    redis.call('DECRBY', total, bytes)
    redis.call('HDEL', sizes, topic)
  end
  redis.call('ZREM', ages, topic)
end

-- removes the topic's oldest message; false when its stream is gone
local function trimOldest (prefix, topic)
  local sizes, total, ages = historyKeys(prefix)
  local stream = prefix .. KEY.history .. topic
  local oldest = redis.call('XRANGE', stream, '-', '+', 'COUNT', 2)
  if #oldest == 0 then
    forgetHistory(prefix, topic)
    return false
  end
  local bytes = #oldest[1][2][2]
  redis.call('XDEL', stream, oldest[1][1])
  redis.call('HINCRBY', sizes, topic, -bytes)
  redis.call('DECRBY', total, bytes)
  if oldest[2] then
    redis.call('ZADD', ages, oldest[2][2][4], topic)
  else
    redis.call('DEL', stream)
    forgetHistory(prefix, topic)
  end
  return true
end

-- appends the frame to the topic's history and trims what the bounds no longer allow
local function keepHistory (prefix, topic, offset, frame, now, size, ttl, topicMaxBytes, maxBytes)
  local sizes, total, ages = historyKeys(prefix)
  local stream = prefix .. KEY.history .. topic
  if redis.call('EXISTS', stream) == 0 then forgetHistory(prefix, topic) end
  -- a few topics whose oldest message is past the history's life: released if their stream expired
  for _, idle in ipairs(redis.call('ZRANGEBYSCORE', ages, '-inf', now - ttl, 'LIMIT', 0, 8)) do
    if redis.call('EXISTS', prefix .. KEY.history .. idle) == 0 then forgetHistory(prefix, idle) end
  end
  redis.call('XADD', stream, offset .. '-0', 'f', frame, 't', now)
  redis.call('PEXPIRE', stream, ttl)
  local kept = redis.call('HINCRBY', sizes, topic, #frame)
  redis.call('INCRBY', total, #frame)
  redis.call('ZADD', ages, 'NX', now, topic)
  local count = redis.call('XLEN', stream)
  while count > 1 and (count > size or kept > topicMaxBytes) do
    trimOldest(prefix, topic)
    count = count - 1
    kept = tonumber(redis.call('HGET', sizes, topic))
  end
  while tonumber(redis.call('GET', total)) > maxBytes do
    local oldest = redis.call('ZRANGE', ages, 0, 0)[1]
    -- the message just kept stays, as a topic's newest always does
    if oldest == topic and redis.call('XLEN', stream) == 1 then break end
    trimOldest(prefix, oldest)
  end
end
