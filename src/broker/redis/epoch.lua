-- Included at the top of publish.lua and history.lua (scripts.ts joins them when it loads them).
-- Gives the topic an epoch if it has none (new, or lost with a Redis restart) and returns
-- { epoch, offset }; a new epoch starts a new history.
local function epochOf (prefix, topic, fresh, ttl)
  local stats = prefix .. KEY.stats .. topic
  if redis.call('HSETNX', stats, 'epoch', fresh) == 1 then
    redis.call('DEL', prefix .. KEY.history .. topic)
    redis.call('HSET', stats, 'offset', 0)
  end
  redis.call('PEXPIRE', stats, ttl)
  return redis.call('HMGET', stats, 'epoch', 'offset')
end
