-- Included at the top of publish.lua and history.lua (scripts.ts joins them when it loads them).
-- Gives the topic (its stats and history keys) an epoch if it has none (new, or lost with a Redis
-- restart) and returns { epoch, offset }; a new epoch starts a new history.
local function epochOf (stats, history, fresh, ttl)
  if redis.call('HSETNX', stats, 'epoch', fresh) == 1 then
    redis.call('DEL', history)
    redis.call('HSET', stats, 'offset', 0)
  end
  redis.call('PEXPIRE', stats, ttl)
  return redis.call('HMGET', stats, 'epoch', 'offset')
end
