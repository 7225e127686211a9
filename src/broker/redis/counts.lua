-- ClusterFigures: sets one instance's subscriber count of a topic (ARGV[2], 0 removes it) in the topic's
-- subs hash (KEYS[1], field: the instance id ARGV[1]) and keeps their sum in its field '' for publish.lua
-- to read in O(1). Setting a count twice changes nothing, so two instances may reconcile a dead one at once.
local subs, id, count = KEYS[1], ARGV[1], tonumber(ARGV[2])
local old = tonumber(redis.call('HGET', subs, id) or '0')
if count == old then return 0 end
if count == 0 then redis.call('HDEL', subs, id) else redis.call('HSET', subs, id, count) end
local sum = redis.call('HINCRBY', subs, '', count - old)
if sum <= 0 and redis.call('HLEN', subs) == 1 then redis.call('DEL', subs) end
return 1
