-- ClusterFigures (cluster-figures.ts), on the cluster's keys (one hash slot, KEYS[1] the instances):
-- returns every live instance's figures and the topics with recent messages, as nested arrays:
-- { instances = { id, connections, startedAt, lastSeenAt, subs = {...}, delivered = {...}, slow = {...} }, topics = { ... } }
-- ARGV[4] limits it to one topic when set; ARGV[5] = 1 reads the instances alone (GET /cluster).
-- The topics' own figures live on their shards: the caller reads them there.
local shared, liveSince, topicsSince, only, light = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local instances = {}
local live = redis.call('ZRANGEBYSCORE', KEYS[1], liveSince, '+inf', 'WITHSCORES')
for i = 1, #live, 2 do
  local id = live[i]
  local info = redis.call('HMGET', shared .. 'instance:' .. id, 'connections', 'startedAt')
  local counts = {}
  if light ~= '1' then
    for _, figure in ipairs({ 'subs:', 'delivered:', 'slow:' }) do
      local key = shared .. figure .. id
      if only ~= '' then
        table.insert(counts, { only, redis.call('HGET', key, only) or '0' })
      else
        table.insert(counts, redis.call('HGETALL', key))
      end
    end
  end
  table.insert(instances, { id, info[1] or '0', info[2] or '0', live[i + 1], counts[1] or {}, counts[2] or {}, counts[3] or {} })
end
local topics = {}
if light == '1' then
  return { instances, topics }
elseif only ~= '' then
  topics = { only }
else
  topics = redis.call('ZRANGEBYSCORE', shared .. 'topics', topicsSince, '+inf')
end
return { instances, topics }
