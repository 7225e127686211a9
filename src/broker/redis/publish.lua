-- RedisBroker.publish(): gives the message the topic's next offset, keeps it in the topic's stream
-- (ids are OFFSET-0), counts it, and publishes the frame completed with its position on the topic's
-- channel, with PUBLISH on one Redis or SPUBLISH on a Redis Cluster (ARGV[7]). Every key it touches is
-- the topic's own (one hash slot), and its cost does not depend on the number of instances: the
-- subscriber count is the sum the instances keep in the topic's subs hash (counts.lua).
-- KEYS: stats, history, subs, idempotency key (unused when ARGV[9] is ''), channel.
-- Returns { subscribers, offset, epoch, new } (new: 1 when the topic had no message within its TTL),
-- or { 0 } alone, changing nothing, when the topic is new and ARGV[8] is 0 (MAX_TOPICS reached).
-- With an idempotency key (kept ARGV[10] ms), a repeat publishes nothing and returns the first result.
-- The history is kept within HISTORY_SIZE (ARGV[5]) and HISTORY_TOPIC_MAX_BYTES (ARGV[11]) by history-bytes.lua.
-- FRAME_TAIL (the publish frame's tail from src/contract/frames.ts, cut around its offset and epoch)
-- is defined above this script when it is loaded.
local stats, history, subs, idempotent, channel = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local head, now, ttl, fresh, size, historyTtl, command, allowNew =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[6], ARGV[7], ARGV[8]
if ARGV[9] == '' then idempotent = nil end
if idempotent then
  local earlier = earlierResult(idempotent)
  if earlier then return earlier end
end
local new = redis.call('HEXISTS', stats, 'published') == 0
if new and allowNew == '0' then return { 0 } end
-- writes first: when Redis refuses writes (out of memory) the script stops before publishing
local epoch = epochOf(stats, history, fresh, ttl)[1]
local offset = redis.call('HINCRBY', stats, 'offset', 1)
redis.call('HINCRBY', stats, 'published', 1)
redis.call('HSET', stats, 'lastPublishedAt', now)
local frame = head .. FRAME_TAIL[1] .. offset .. FRAME_TAIL[2] .. epoch .. FRAME_TAIL[3]
if size > 0 then keepHistory(stats, history, offset, frame, now, size, historyTtl, tonumber(ARGV[11])) end
local subscribers = tonumber(redis.call('HGET', subs, '') or '0')
redis.call(command, channel, frame)
if idempotent then rememberResult(idempotent, ARGV[10], subscribers, offset, epoch) end
local first = 0
if new then first = 1 end
return { subscribers, offset, epoch, first }
