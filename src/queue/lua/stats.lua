-- ARGV 6-7: queue, oldest heartbeat of a live instance. Returns { waiting, active, consumers, enqueued, done, failed, oldest enqueuedAt or 0 }, nil for no such queue.
local queue, liveSince = ARGV[6], ARGV[7]
local score = redis.call('ZSCORE', p .. 'queues', queue)
if not score or (score ~= 'inf' and tonumber(score) < now - queueTtl) then return nil end
local wait = key('wait', queue)
local meta = redis.call('HMGET', key('meta', queue), 'enqueued', 'done', 'failed')
local consumers = 0
for _, instance in ipairs(redis.call('ZRANGEBYSCORE', p .. 'instances', liveSince, '+inf')) do
  consumers = consumers + tonumber(redis.call('HGET', p .. 'consumers:' .. instance, queue) or '0')
end
local oldest = 0
local front = redis.call('ZRANGE', wait, 0, 0)
if front[1] then oldest = tonumber(redis.call('HGET', jobKey(queue, front[1]), 'enqueuedAt')) end
return {
  redis.call('ZCARD', wait) + redis.call('ZCARD', key('delayed', queue)), redis.call('ZCARD', key('active', queue)), consumers,
  tonumber(meta[1] or '0'), tonumber(meta[2] or '0'), tonumber(meta[3] or '0'), oldest
}
