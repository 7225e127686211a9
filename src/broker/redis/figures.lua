-- ClusterFigures (cluster-figures.ts): returns every live instance's figures and the publish figures
-- of the topics, flattened as nested arrays:
-- { instances = { id, connections, startedAt, lastSeenAt, subs = {...}, delivered = {...}, slow = {...} }, stats = { topic, published, lastPublishedAt } }
-- ARGV[4] limits it to one topic when set.
local prefix, liveSince, topicsSince, only = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local instances = {}
local live = redis.call('ZRANGEBYSCORE', prefix .. KEY.instances, liveSince, '+inf', 'WITHSCORES')
for i = 1, #live, 2 do
  local id = live[i]
  local info = redis.call('HMGET', prefix .. KEY.instance .. id, 'connections', 'startedAt')
  local counts = {}
  for _, figure in ipairs({ KEY.subs, KEY.delivered, KEY.slow }) do
    local key = prefix .. figure .. id
    if only ~= '' then
      table.insert(counts, { only, redis.call('HGET', key, only) or '0' })
    else
      table.insert(counts, redis.call('HGETALL', key))
    end
  end
  table.insert(instances, { id, info[1] or '0', info[2] or '0', live[i + 1], counts[1], counts[2], counts[3] })
end
local topics
if only ~= '' then topics = { only } else topics = redis.call('ZRANGEBYSCORE', prefix .. KEY.topics, topicsSince, '+inf') end
local stats = {}
for _, topic in ipairs(topics) do
  local s = redis.call('HMGET', prefix .. KEY.stats .. topic, 'published', 'lastPublishedAt')
  if s[1] then table.insert(stats, { topic, s[1], s[2] }) end
end
redis.call('ZREMRANGEBYSCORE', prefix .. KEY.topics, '-inf', '(' .. topicsSince)
return { instances, stats }
