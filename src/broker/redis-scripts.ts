/** Lua scripts that keep each cluster operation to one atomic round trip to Redis. */
import type { Redis } from 'ioredis'

/**
 * Keys: the instance registry lives at PREFIX instances (a sorted set scored by
 * last heartbeat), each instance's figures at PREFIX subs:ID and PREFIX delivered:ID
 * (topic -> count), each topic's publish figures at PREFIX stats:TOPIC, and the
 * topics with recent messages at PREFIX topics (scored by last message).
 */

/** Publishes the frame, counts it, and sums the topic's subscribers over live instances. */
const PUBLISH = `
local prefix, topic, frame, now, ttl, liveSince = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local stats = prefix .. 'stats:' .. topic
-- writes first: when Redis refuses writes (out of memory) the script stops before publishing
redis.call('HINCRBY', stats, 'published', 1)
redis.call('HSET', stats, 'lastPublishedAt', now)
redis.call('PEXPIRE', stats, ttl)
redis.call('ZADD', prefix .. 'topics', now, topic)
local subscribers = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', prefix .. 'instances', liveSince, '+inf')) do
  subscribers = subscribers + tonumber(redis.call('HGET', prefix .. 'subs:' .. id, topic) or '0')
end
redis.call('PUBLISH', prefix .. 'topic:' .. topic, frame)
return subscribers
`

/**
 * Returns every live instance's figures and the publish figures of the topics:
 * { instances = { id, connections, startedAt, lastSeenAt, subs = {...}, delivered = {...} }, stats = { topic, published, lastPublishedAt } }
 * flattened as nested arrays. ARGV[4] limits it to one topic when set.
 */
const FIGURES = `
local prefix, liveSince, topicsSince, only = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local instances = {}
local live = redis.call('ZRANGEBYSCORE', prefix .. 'instances', liveSince, '+inf', 'WITHSCORES')
for i = 1, #live, 2 do
  local id = live[i]
  local info = redis.call('HMGET', prefix .. 'instance:' .. id, 'connections', 'startedAt')
  local subs, delivered
  if only ~= '' then
    subs = { only, redis.call('HGET', prefix .. 'subs:' .. id, only) or '0' }
    delivered = { only, redis.call('HGET', prefix .. 'delivered:' .. id, only) or '0' }
  else
    subs = redis.call('HGETALL', prefix .. 'subs:' .. id)
    delivered = redis.call('HGETALL', prefix .. 'delivered:' .. id)
  end
  table.insert(instances, { id, info[1] or '0', info[2] or '0', live[i + 1], subs, delivered })
end
local topics
if only ~= '' then topics = { only } else topics = redis.call('ZRANGEBYSCORE', prefix .. 'topics', topicsSince, '+inf') end
local stats = {}
for _, topic in ipairs(topics) do
  local s = redis.call('HMGET', prefix .. 'stats:' .. topic, 'published', 'lastPublishedAt')
  if s[1] then table.insert(stats, { topic, s[1], s[2] }) end
end
redis.call('ZREMRANGEBYSCORE', prefix .. 'topics', '-inf', '(' .. topicsSince)
return { instances, stats }
`

/** Takes or renews the bridge lease; returns 1 while this instance holds it. */
const LEASE = `
local key, id, ttl = KEYS[1], ARGV[1], ARGV[2]
if redis.call('SET', key, id, 'NX', 'PX', ttl) then return 1 end
if redis.call('GET', key) == id then redis.call('PEXPIRE', key, ttl) return 1 end
return 0
`

declare module 'ioredis' {
  // the merged interface must repeat ioredis's type parameter, used or not
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface RedisCommander<Context> {
    proxyerPublish (prefix: string, topic: string, frame: Buffer, now: number, ttlMs: number, liveSince: number): Promise<number>
    proxyerFigures (prefix: string, liveSince: number, topicsSince: number, only: string): Promise<[RawInstance[], RawStats[]]>
    proxyerLease (key: string, id: string, ttlMs: number): Promise<number>
  }
}

/** id, connections, startedAt, lastSeenAt, [topic, subscribers, ...], [topic, delivered, ...] */
export type RawInstance = [string, string, string, string, string[], string[]]
/** topic, published, lastPublishedAt */
export type RawStats = [string, string, string | null]

export function defineScripts (redis: Redis): void {
  redis.defineCommand('proxyerPublish', { numberOfKeys: 0, lua: PUBLISH })
  redis.defineCommand('proxyerFigures', { numberOfKeys: 0, lua: FIGURES })
  redis.defineCommand('proxyerLease', { numberOfKeys: 1, lua: LEASE })
}
