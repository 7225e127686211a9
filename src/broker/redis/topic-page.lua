-- RedisBroker.topicPage(): up to ARGV[5] live topics and patterns named with prefix ARGV[3] after ARGV[4]
-- ('' for the first page), in name order, each as { name, published, lastPublishedAt, subscribers,
-- delivered, slowConsumers } summed over live instances. Returns { rows, last, done }: `last` is the
-- last name looked at, `done` 1 when no name follows. Names of topics gone (no message within the
-- topic TTL, no subscriber on a live instance) are removed from the index as they are met; at most
-- 4 x ARGV[5] are looked at, so a page stays O(limit) even after many topics expired.
local prefix, liveSince, filter, after, limit = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local names = prefix .. KEY.names
local instances = redis.call('ZRANGEBYSCORE', prefix .. KEY.instances, liveSince, '+inf')
local from
if after ~= '' and after >= filter then from = '(' .. after else from = '[' .. filter end
-- topic names are ASCII, so every name with the prefix sorts before prefix .. '\255'
local to = '+'
if filter ~= '' then to = '[' .. filter .. '\255' end
local rows, last, budget = {}, after, 4 * limit
while #rows < limit and budget > 0 do
  local batch = redis.call('ZRANGEBYLEX', names, from, to, 'LIMIT', 0, math.min(limit - #rows, budget))
  if #batch == 0 then return { rows, last, 1 } end
  for _, name in ipairs(batch) do
    budget = budget - 1
    last = name
    local stats = redis.call('HMGET', prefix .. KEY.stats .. name, 'published', 'lastPublishedAt')
    local counts = { 0, 0, 0 }
    for _, id in ipairs(instances) do
      for i, figure in ipairs({ KEY.subs, KEY.delivered, KEY.slow }) do
        counts[i] = counts[i] + tonumber(redis.call('HGET', prefix .. figure .. id, name) or '0')
      end
    end
    if stats[1] or counts[1] > 0 then
      table.insert(rows, { name, stats[1] or '0', stats[2] or '', counts[1], counts[2], counts[3] })
    else
      redis.call('ZREM', names, name)
    end
  end
  from = '(' .. last
end
-- a full page, or the budget spent: whether anything follows is for the next page to find out
return { rows, last, 0 }
