-- RedisBroker.publish(): the publishes to one topic in one event-loop turn of one instance, in order. Each
-- message gets the topic's next offset, is kept in the topic's stream (ids are OFFSET-0) and counted; their
-- frames, completed with their positions and joined by '\n' (a JSON text never holds a raw newline), go out
-- as one message on the topic's channel, with PUBLISH on one Redis or SPUBLISH on a Redis Cluster (ARGV[6]):
-- every instance receives a turn's publishes to a topic in one message, not one each. Every key it touches
-- is the topic's own (one hash slot), and its cost does not depend on the number of instances: the
-- subscriber count is the sum the instances keep in the topic's subs hash (counts.lua).
-- KEYS: stats, history, subs, channel.
-- ARGV 1-9: now, topic TTL, a fresh epoch, HISTORY_SIZE, history TTL, the publish command, whether a new
-- topic is allowed (MAX_TOPICS), IDEMPOTENCY_TTL, HISTORY_TOPIC_MAX_BYTES; then per message its frame head
-- and the name of its idempotency key ('' for none). Those names are the topic's own keys, in its hash slot;
-- they come as arguments because their number varies, and ioredis routes a script by a fixed count of keys.
-- Returns per message { subscribers, offset, epoch, new } (new: 1 when the topic had no message within its
-- TTL), or { 0 } alone, changing nothing, when the topic is new and no new topic is allowed. A message whose
-- idempotency key was seen within its TTL publishes nothing and gets the first result (three fields).
-- The history is kept within HISTORY_SIZE and HISTORY_TOPIC_MAX_BYTES by history-bytes.lua.
-- FRAME_TAIL (the publish frame's tail from src/contract/frames.ts, cut around its offset and epoch)
-- is defined above this script when it is loaded.
local stats, history, subs, channel = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now, ttl, fresh, size, historyTtl, command, allowNew, idempotencyTtl, maxBytes =
  ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7], ARGV[8], tonumber(ARGV[9])
local subscribers = tonumber(redis.call('HGET', subs, '') or '0')
local new = redis.call('HEXISTS', stats, 'published') == 0
local results, frames = {}, {}
local epoch, offset
for i = 1, (#ARGV - 9) / 2 do
  local head, idempotent = ARGV[8 + 2 * i], ARGV[9 + 2 * i]
  if idempotent == '' then idempotent = nil end
  local earlier = idempotent and earlierResult(idempotent)
  if earlier then
    results[i] = earlier
  elseif new and allowNew == '0' then
    results[i] = { 0 }
  else
    -- writes first: when Redis refuses writes (out of memory) the script stops before publishing
    if not epoch then
      local position = epochOf(stats, history, fresh, ttl)
      epoch, offset = position[1], tonumber(position[2])
    end
    offset = offset + 1
    local frame = head .. FRAME_TAIL[1] .. offset .. FRAME_TAIL[2] .. epoch .. FRAME_TAIL[3]
    frames[#frames + 1] = frame
    if idempotent then rememberResult(idempotent, idempotencyTtl, subscribers, offset, epoch) end
    results[i] = { subscribers, offset, epoch, new and 1 or 0 }
    new = false
  end
end
if #frames > 0 then
  redis.call('HSET', stats, 'offset', offset, 'lastPublishedAt', now)
  redis.call('HINCRBY', stats, 'published', #frames)
  if size > 0 then keepHistory(stats, history, offset - #frames + 1, frames, now, size, historyTtl, maxBytes) end
  redis.call(command, channel, table.concat(frames, '\n'))
end
return results
