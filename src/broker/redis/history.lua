-- RedisBroker.subscribe() and history(), on the topic's stats and history (KEYS): returns
-- { epoch, offset, entries } where entries are the kept messages after ARGV[2] as { offset, frame, time },
-- at most ARGV[3]; the caller checks they start right after it. A subscriber (ARGV[5] = 1) gives a topic
-- without epoch its first (ARGV[1]); a reader gets nil.
-- With ARGV[6] = 1 the entries are the newest ARGV[3] after ARGV[2], still in offset order.
-- ARGV[7], when not 0, bounds the frames' bytes past the first entry kept (the oldest, or the newest
-- with ARGV[6] = 1): a page of a reader's request.
local stats, stream = KEYS[1], KEYS[2]
local fresh, since, limit, ttl, subscribing, newest = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local maxBytes, bytes = tonumber(ARGV[7]), 0
local position
-- ARGV[8]: an instance saw this epoch's offsets given again, so Redis lost its latest writes (a promoted
-- replica that had not received them): if the topic stands no further than ARGV[2] in that epoch, a new epoch
-- starts, so that every subscriber is told its history was lost rather than left with offsets reused
if ARGV[8] ~= '' then
  local now = redis.call('HMGET', stats, 'epoch', 'offset')
  if now[1] == ARGV[8] and tonumber(now[2]) <= tonumber(since) then redis.call('DEL', stats) end
end
if subscribing == '1' then
  position = epochOf(stats, stream, fresh, ttl)
else
  position = redis.call('HMGET', stats, 'epoch', 'offset')
  if not position[1] then return nil end
end
local entries = {}
-- XRANGE with COUNT 0 answers nil, not an empty list, for a stream that exists
if tonumber(limit) > 0 then
  local kept
  if newest == '1' then
    kept = redis.call('XREVRANGE', stream, '+', '(' .. since .. '-0', 'COUNT', limit)
  else
    kept = redis.call('XRANGE', stream, '(' .. since .. '-0', '+', 'COUNT', limit)
  end
  -- entries come from the end the page keeps; the byte bound cuts at the other end
  for _, entry in ipairs(kept) do
    bytes = bytes + #entry[2][2]
    if maxBytes > 0 and bytes > maxBytes and #entries > 0 then break end
    table.insert(entries, { string.match(entry[1], '^(%d+)'), entry[2][2], entry[2][4] })
  end
  -- XREVRANGE answers newest first: put them back in offset order
  if newest == '1' then
    for i = 1, math.floor(#entries / 2) do
      entries[i], entries[#entries + 1 - i] = entries[#entries + 1 - i], entries[i]
    end
  end
end
return { position[1], position[2], entries }
