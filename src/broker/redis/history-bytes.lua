-- Included in publish.lua (scripts.ts joins them when it loads them). Adds a batch's frames, at offsets
-- from `first` on, to a topic's history stream and keeps it
-- within HISTORY_SIZE messages and HISTORY_TOPIC_MAX_BYTES, the oldest going first and the newest always
-- staying. The bytes kept are counted in the topic's stats hash (field historyBytes), a key of the topic's
-- own hash slot: the bound holds on a Redis Cluster too. HISTORY_MAX_BYTES, over all topics, would need keys
-- on every slot in one script, so Redis mode leaves it to HISTORY_TOPIC_MAX_BYTES x MAX_TOPICS and maxmemory.
local function keepHistory (stats, history, first, frames, now, size, ttl, topicMaxBytes)
  -- an expired (or deleted) stream took its bytes with it
  if redis.call('EXISTS', history) == 0 then redis.call('HSET', stats, 'historyBytes', 0) end
  local added = 0
  for i, frame in ipairs(frames) do
    redis.call('XADD', history, (first + i - 1) .. '-0', 'f', frame, 't', now)
    added = added + #frame
  end
  redis.call('PEXPIRE', history, ttl)
  local kept = redis.call('HINCRBY', stats, 'historyBytes', added)
  local count = redis.call('XLEN', history)
  -- past HISTORY_SIZE (at least 1): the excess goes in one trim
  if count > size then
    local ids, bytes = {}, 0
    for i, oldest in ipairs(redis.call('XRANGE', history, '-', '+', 'COUNT', count - size)) do
      ids[i] = oldest[1]
      bytes = bytes + #oldest[2][2]
    end
    redis.call('XDEL', history, unpack(ids))
    kept = redis.call('HINCRBY', stats, 'historyBytes', -bytes)
    count = size
  end
  while count > 1 and kept > topicMaxBytes do
    local oldest = redis.call('XRANGE', history, '-', '+', 'COUNT', 1)[1]
    redis.call('XDEL', history, oldest[1])
    kept = redis.call('HINCRBY', stats, 'historyBytes', -#oldest[2][2])
    count = count - 1
  end
end
