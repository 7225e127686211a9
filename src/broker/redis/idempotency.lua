-- Included above publish.lua (scripts.ts joins them when it loads them): a publish's idempotency key,
-- kept per topic with the first result for IDEMPOTENCY_TTL. The script runs atomically, so of two
-- publishes with one key, from any instances, one publishes and the other reads its result.

-- { subscribers, offset, epoch } of the first publish under the key, or nil
local function earlierResult (name)
  local kept = redis.call('GET', name)
  if not kept then return nil end
  local subscribers, offset, epoch = string.match(kept, '^(%d+) (%d+) (.*)$')
  return { tonumber(subscribers), tonumber(offset), epoch }
end

local function rememberResult (name, ttl, subscribers, offset, epoch)
  redis.call('SET', name, subscribers .. ' ' .. offset .. ' ' .. epoch, 'NX', 'PX', ttl)
end
