-- RedisBroker.topicPage(), on the cluster's keys (one hash slot, KEYS[1] the names index): up to ARGV[5]
-- topics and patterns named with prefix ARGV[3] after ARGV[4] ('' for the first page), in name order,
-- each as { name, subscribers, delivered, slowConsumers } summed over live instances. Returns { rows, done }:
-- `done` 1 when no name follows. The topics' publish figures live on their shards: the caller reads
-- them there and removes the names of topics gone.
local shared, liveSince, filter, after, limit = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local instances = redis.call('ZRANGEBYSCORE', shared .. 'instances', liveSince, '+inf')
local from
if after ~= '' and after >= filter then from = '(' .. after else from = '[' .. filter end
-- topic names are ASCII, so every name with the prefix sorts before prefix .. '\255'
local to = '+'
if filter ~= '' then to = '[' .. filter .. '\255' end
local batch = redis.call('ZRANGEBYLEX', KEYS[1], from, to, 'LIMIT', 0, limit)
local rows = {}
for _, name in ipairs(batch) do
  local counts = { 0, 0, 0 }
  for _, id in ipairs(instances) do
    for i, figure in ipairs({ 'subs:', 'delivered:', 'slow:' }) do
      counts[i] = counts[i] + tonumber(redis.call('HGET', shared .. figure .. id, name) or '0')
    end
  end
  table.insert(rows, { name, counts[1], counts[2], counts[3] })
end
local done = 0
if #batch < limit then done = 1 end
return { rows, done }
