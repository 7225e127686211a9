/** Lua scripts that keep each cluster operation to one atomic round trip to Redis. */
import type { Redis } from 'ioredis'

/**
 * Keys: the instance registry lives at PREFIX instances (a sorted set scored by
 * last heartbeat), each instance's figures at PREFIX subs:ID, PREFIX delivered:ID and
 * PREFIX slow:ID (topic -> count), each topic's position and publish figures at PREFIX stats:TOPIC,
 * its last messages in the stream PREFIX history:TOPIC, and the
 * topics with recent messages at PREFIX topics (scored by last message).
 */

/**
 * Gives the topic an epoch if it has none (new, or lost with a Redis restart) and
 * returns it; a new epoch starts a new history.
 */
const EPOCH = `
local function epochOf (prefix, topic, fresh, ttl)
  local stats = prefix .. 'stats:' .. topic
  if redis.call('HSETNX', stats, 'epoch', fresh) == 1 then
    redis.call('DEL', prefix .. 'history:' .. topic)
    redis.call('HSET', stats, 'offset', 0)
  end
  redis.call('PEXPIRE', stats, ttl)
  return redis.call('HMGET', stats, 'epoch', 'offset')
end
`

/**
 * Gives the message the topic's next offset, keeps it in the topic's stream (ids are
 * OFFSET-0), counts it, publishes the frame completed with its position, and sums the
 * topic's subscribers over live instances. Returns { subscribers, offset, epoch }.
 */
const PUBLISH = EPOCH + `
local prefix, topic, head, now, ttl, liveSince, fresh, size, historyTtl =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], tonumber(ARGV[8]), ARGV[9]
local stats = prefix .. 'stats:' .. topic
-- writes first: when Redis refuses writes (out of memory) the script stops before publishing
local epoch = epochOf(prefix, topic, fresh, ttl)[1]
local offset = redis.call('HINCRBY', stats, 'offset', 1)
redis.call('HINCRBY', stats, 'published', 1)
redis.call('HSET', stats, 'lastPublishedAt', now)
redis.call('ZADD', prefix .. 'topics', now, topic)
local frame = head .. ',"offset":' .. offset .. ',"epoch":"' .. epoch .. '"}'
if size > 0 then
  local history = prefix .. 'history:' .. topic
  redis.call('XADD', history, 'MAXLEN', size, offset .. '-0', 'f', frame, 't', now)
  redis.call('PEXPIRE', history, historyTtl)
end
local subscribers = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', prefix .. 'instances', liveSince, '+inf')) do
  subscribers = subscribers + tonumber(redis.call('HGET', prefix .. 'subs:' .. id, topic) or '0')
end
redis.call('PUBLISH', prefix .. 'topic:' .. topic, frame)
return { subscribers, offset, epoch }
`

/**
 * Returns { epoch, offset, entries } where entries are the kept messages after ARGV[4]
 * as { offset, frame, time }, at most ARGV[5]; the caller checks they start right after it.
 * A subscriber (ARGV[7] = 1) gives a topic without epoch its first; a reader gets nil.
 * With ARGV[8] = 1 the entries are the newest ARGV[5] after ARGV[4], still in offset order.
 */
const HISTORY = EPOCH + `
local prefix, topic, fresh, since, limit, ttl, subscribing, newest = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local position
if subscribing == '1' then
  position = epochOf(prefix, topic, fresh, ttl)
else
  position = redis.call('HMGET', prefix .. 'stats:' .. topic, 'epoch', 'offset')
  if not position[1] then return nil end
end
local entries = {}
-- XRANGE with COUNT 0 answers nil, not an empty list, for a stream that exists
if tonumber(limit) > 0 then
  local stream = prefix .. 'history:' .. topic
  local kept
  if newest == '1' then
    kept = redis.call('XREVRANGE', stream, '+', '(' .. since .. '-0', 'COUNT', limit)
  else
    kept = redis.call('XRANGE', stream, '(' .. since .. '-0', '+', 'COUNT', limit)
  end
  for i = 1, #kept do
    -- XREVRANGE answers newest first: put them back in offset order
    local entry = kept[newest == '1' and #kept + 1 - i or i]
    table.insert(entries, { string.match(entry[1], '^(%d+)'), entry[2][2], entry[2][4] })
  end
end
return { position[1], position[2], entries }
`

/**
 * Returns every live instance's figures and the publish figures of the topics:
 * { instances = { id, connections, startedAt, lastSeenAt, subs = {...}, delivered = {...}, slow = {...} }, stats = { topic, published, lastPublishedAt } }
 * flattened as nested arrays. ARGV[4] limits it to one topic when set.
 */
const FIGURES = `
local prefix, liveSince, topicsSince, only = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local instances = {}
local live = redis.call('ZRANGEBYSCORE', prefix .. 'instances', liveSince, '+inf', 'WITHSCORES')
for i = 1, #live, 2 do
  local id = live[i]
  local info = redis.call('HMGET', prefix .. 'instance:' .. id, 'connections', 'startedAt')
  local counts = {}
  for _, figure in ipairs({ 'subs', 'delivered', 'slow' }) do
    local key = prefix .. figure .. ':' .. id
    if only ~= '' then
      table.insert(counts, { only, redis.call('HGET', key, only) or '0' })
    else
      table.insert(counts, redis.call('HGETALL', key))
    end
  end
  table.insert(instances, { id, info[1] or '0', info[2] or '0', live[i + 1], counts[1], counts[2], counts[3] })
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
    proxyerPublish (prefix: string, topic: string, head: string, now: number, ttlMs: number, liveSince: number,
      freshEpoch: string, historySize: number, historyTtlMs: number): Promise<[number, number, string]>
    proxyerHistory (prefix: string, topic: string, freshEpoch: string, since: number, limit: number, ttlMs: number,
      subscribing: 0 | 1, newest: 0 | 1): Promise<[string, string, RawEntry[]] | null>
    proxyerFigures (prefix: string, liveSince: number, topicsSince: number, only: string): Promise<[RawInstance[], RawStats[]]>
    proxyerLease (key: string, id: string, ttlMs: number): Promise<number>
  }
}

/** id, connections, startedAt, lastSeenAt, [topic, subscribers, ...], [topic, delivered, ...], [topic, slow consumers, ...] */
export type RawInstance = [string, string, string, string, string[], string[], string[]]
/** offset, frame, time */
export type RawEntry = [string, string, string]
/** topic, published, lastPublishedAt */
export type RawStats = [string, string, string]

export function defineScripts (redis: Redis): void {
  redis.defineCommand('proxyerPublish', { numberOfKeys: 0, lua: PUBLISH })
  redis.defineCommand('proxyerHistory', { numberOfKeys: 0, lua: HISTORY })
  redis.defineCommand('proxyerFigures', { numberOfKeys: 0, lua: FIGURES })
  redis.defineCommand('proxyerLease', { numberOfKeys: 1, lua: LEASE })
}
