-- RedisBroker.subscribe() and history(): returns { epoch, offset, entries } where entries are the
-- kept messages after ARGV[4] as { offset, frame, time }, at most ARGV[5]; the caller checks they
-- start right after it. A subscriber (ARGV[7] = 1) gives a topic without epoch its first; a reader gets nil.
-- ARGV[8], when not 0, bounds the frames' bytes past the first entry (a page of a reader's request).
local prefix, topic, fresh, since, limit, ttl, subscribing = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local maxBytes, bytes = tonumber(ARGV[8]), 0
local position
if subscribing == '1' then
  position = epochOf(prefix, topic, fresh, ttl)
else
  position = redis.call('HMGET', prefix .. KEY.stats .. topic, 'epoch', 'offset')
  if not position[1] then return nil end
end
local entries = {}
-- XRANGE with COUNT 0 answers nil, not an empty list, for a stream that exists
if tonumber(limit) > 0 then
  for _, entry in ipairs(redis.call('XRANGE', prefix .. KEY.history .. topic, '(' .. since .. '-0', '+', 'COUNT', limit)) do
    bytes = bytes + #entry[2][2]
    if maxBytes > 0 and bytes > maxBytes and #entries > 0 then break end
    table.insert(entries, { string.match(entry[1], '^(%d+)'), entry[2][2], entry[2][4] })
  end
end
return { position[1], position[2], entries }
