-- Included in publish.lua (scripts.ts joins them when it loads them). Keeps a topic's history stream
-- within HISTORY_SIZE messages and HISTORY_TOPIC_MAX_BYTES, the oldest going first and the newest always
-- staying. The bytes kept are counted in the topic's stats hash (field historyBytes), a key of the topic's
-- own hash slot: the bound holds on a Redis Cluster too. HISTORY_MAX_BYTES, over all topics, would need keys
-- on every slot in one script, so Redis mode leaves it to HISTORY_TOPIC_MAX_BYTES x MAX_TOPICS and maxmemory.
local function keepHistory (stats, history, offset, frame, now, size, ttl, topicMaxBytes)
  -- an expired (or deleted) stream took its bytes with it
  if redis.call('EXISTS', history) == 0 then redis.call('HSET', stats, 'historyBytes', 0) end
  redis.call('XADD', history, offset .. '-0', 'f', frame, 't', now)
  redis.call('PEXPIRE', history, ttl)
  local kept = redis.call('HINCRBY', stats, 'historyBytes', #frame)
  local count = redis.call('XLEN', history)
  while count > 1 and (count > size or kept > topicMaxBytes) do
    local oldest = redis.call('XRANGE', history, '-', '+', 'COUNT', 1)[1]
    redis.call('XDEL', history, oldest[1])
    kept = redis.call('HINCRBY', stats, 'historyBytes', -#oldest[2][2])
    count = count - 1
  end
end
