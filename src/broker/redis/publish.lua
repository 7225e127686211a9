-- RedisBroker.publish(): gives the message the topic's next offset, keeps it in the topic's stream
-- (ids are OFFSET-0), counts it, publishes the frame completed with its position on the topic's
-- channel, and sums the topic's subscribers over live instances. Returns { subscribers, offset, epoch },
-- or { 0 } alone, changing nothing, when the topic is new and the topics index already holds maxTopics (ARGV[10]).
-- With an idempotency key (ARGV[11], kept ARGV[12] ms), a repeat publishes nothing and returns the first result.
-- The history is kept within HISTORY_TOPIC_MAX_BYTES (ARGV[13]) and HISTORY_MAX_BYTES (ARGV[14]) by history-bytes.lua.
-- KEY (keys.ts) and FRAME_TAIL (the publish frame's tail from src/contract/frames.ts, cut around
-- its offset and epoch) are defined above this script when it is loaded.
local prefix, topic, head, now, ttl, liveSince, fresh, size, historyTtl, maxTopics =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], tonumber(ARGV[8]), ARGV[9], tonumber(ARGV[10])
local idempotent = idempotencyName(prefix, topic, ARGV[11])
if idempotent then
  local earlier = earlierResult(idempotent)
  if earlier then return earlier end
end
local stats = prefix .. KEY.stats .. topic
-- the topics index holds the topics with recent messages (figures.lua trims it): counting it is O(1)
if redis.call('ZSCORE', prefix .. KEY.topics, topic) == false and redis.call('ZCARD', prefix .. KEY.topics) >= maxTopics then
  return { 0 }
end
-- writes first: when Redis refuses writes (out of memory) the script stops before publishing
local epoch = epochOf(prefix, topic, fresh, ttl)[1]
local offset = redis.call('HINCRBY', stats, 'offset', 1)
redis.call('HINCRBY', stats, 'published', 1)
redis.call('HSET', stats, 'lastPublishedAt', now)
redis.call('ZADD', prefix .. KEY.topics, now, topic)
redis.call('ZADD', prefix .. KEY.names, 0, topic)
local frame = head .. FRAME_TAIL[1] .. offset .. FRAME_TAIL[2] .. epoch .. FRAME_TAIL[3]
if size > 0 then keepHistory(prefix, topic, offset, frame, tonumber(now), size, tonumber(historyTtl), tonumber(ARGV[13]), tonumber(ARGV[14])) end
local subscribers = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', prefix .. KEY.instances, liveSince, '+inf')) do
  subscribers = subscribers + tonumber(redis.call('HGET', prefix .. KEY.subs .. id, topic) or '0')
end
redis.call('PUBLISH', prefix .. KEY.channel .. topic, frame)
if idempotent then rememberResult(idempotent, ARGV[12], subscribers, offset, epoch) end
return { subscribers, offset, epoch }
