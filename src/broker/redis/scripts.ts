/** The Lua scripts beside this file, loaded once at start, that keep each cluster operation to one atomic round trip to Redis. */
import { readFileSync } from 'node:fs'
import type { Cluster, Redis } from 'ioredis'
import { publishFrameTail } from '../../contract/frames.js'

/** One Redis, or a Redis Cluster: the engine sends both the same commands, each script's keys in one hash slot. */
export type RedisClient = Redis | Cluster

/**
 * The publish frame's tail as the wire contract writes it, cut around its offset and epoch, as a Lua
 * table `FRAME_TAIL`: publish.lua completes the frame as publishFrameTail() would, without a copy of it.
 */
function frameTail (): string {
  const offset = '1234567890'
  const epoch = 'EPOCH'
  const [beforeOffset, rest] = publishFrameTail(Number(offset), epoch).split(offset)
  const [beforeEpoch, end] = rest.split(epoch)
  return `local FRAME_TAIL = { ${[beforeOffset, beforeEpoch, end].map((piece) => JSON.stringify(piece)).join(', ')} }\n`
}

function read (name: string): string {
  return readFileSync(new URL(name, import.meta.url), 'utf8')
}

/** Each script with what it uses defined above it. */
const PUBLISH = frameTail() + read('epoch.lua') + read('idempotency.lua') + read('history-bytes.lua') + read('publish.lua')
const HISTORY = read('epoch.lua') + read('history.lua')

declare module 'ioredis' {
  // the merged interface must repeat ioredis's type parameter, used or not
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface RedisCommander<Context> {
    /** publish.lua, after these its further arguments: two per message (see the script). */
    proxyerPublish (stats: string, history: string, subs: string, channel: string, now: number, ttlMs: number, freshEpoch: string,
      historySize: number, historyTtlMs: number, command: 'PUBLISH' | 'SPUBLISH', allowNew: 0 | 1, idempotencyTtlMs: number,
      historyTopicMaxBytes: number, ...messages: string[]): Promise<RawPublished[]>
    /** history.lua */
    proxyerHistory (stats: string, history: string, freshEpoch: string, since: number, limit: number, ttlMs: number,
      subscribing: 0 | 1, newest: 0 | 1, maxBytes: number, lostEpoch: string): Promise<[string, string, RawEntry[]] | null>
    /** counts.lua */
    proxyerCount (subs: string, instanceId: string, count: number): Promise<number>
    /** figures.lua */
    proxyerFigures (instances: string, shared: string, liveSince: number, topicsSince: number, only: string, light: 0 | 1): Promise<[RawInstance[], string[]]>
    /** topic-page.lua */
    proxyerTopicPage (names: string, shared: string, liveSince: number, namePrefix: string, after: string, limit: number): Promise<[RawPageRow[], 0 | 1]>
    /** bridge-lease.lua */
    proxyerBridgeLease (key: string, id: string, ttlMs: number): Promise<number>
  }
}

/** id, connections, startedAt, lastSeenAt, [topic, subscribers, ...], [topic, delivered, ...], [topic, slow consumers, ...] */
export type RawInstance = [string, string, string, string, string[], string[], string[]]
/** subscribers, offset, epoch, new; or the first result under an idempotency key (three fields); or [0]: MAX_TOPICS reached. */
export type RawPublished = [number, number, string, 0 | 1] | [number, number, string] | [0]
/** offset, frame, time */
export type RawEntry = [string, string, string]
/** name, subscribers, delivered, slow consumers */
export type RawPageRow = [string, number, number, number]

export function defineScripts (redis: RedisClient): void {
  redis.defineCommand('proxyerPublish', { numberOfKeys: 4, lua: PUBLISH })
  redis.defineCommand('proxyerHistory', { numberOfKeys: 2, lua: HISTORY })
  redis.defineCommand('proxyerCount', { numberOfKeys: 1, lua: read('counts.lua') })
  redis.defineCommand('proxyerFigures', { numberOfKeys: 1, lua: read('figures.lua') })
  redis.defineCommand('proxyerTopicPage', { numberOfKeys: 1, lua: read('topic-page.lua') })
  redis.defineCommand('proxyerBridgeLease', { numberOfKeys: 1, lua: read('bridge-lease.lua') })
}
