/** The Lua scripts beside this file, loaded once at start, that keep each cluster operation to one atomic round trip to Redis. */
import { readFileSync } from 'node:fs'
import type { Redis } from 'ioredis'
import { publishFrameTail } from '../../contract/frames.js'
import { KeyPart } from './keys.js'

/** The names the scripts share with the TypeScript: the key names of keys.ts, as a Lua table `KEY`. */
const KEYS = `local KEY = { ${Object.entries(KeyPart).map(([name, part]) => `${name} = ${JSON.stringify(part)}`).join(', ')} }\n`

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
const PUBLISH = KEYS + frameTail() + read('epoch.lua') + read('idempotency.lua') + read('history-bytes.lua') + read('publish.lua')
const HISTORY = KEYS + read('epoch.lua') + read('history.lua')
const FIGURES = KEYS + read('figures.lua')
const TOPIC_PAGE = KEYS + read('topic-page.lua')
const BRIDGE_LEASE = read('bridge-lease.lua')

declare module 'ioredis' {
  // the merged interface must repeat ioredis's type parameter, used or not
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface RedisCommander<Context> {
    /** publish.lua */
    proxyerPublish (prefix: string, topic: string, head: string, now: number, ttlMs: number, liveSince: number,
      freshEpoch: string, historySize: number, historyTtlMs: number, maxTopics: number, idempotencyKey: string, idempotencyTtlMs: number,
      historyTopicMaxBytes: number, historyMaxBytes: number): Promise<[number, number, string] | [0]>
    /** history.lua */
    proxyerHistory (prefix: string, topic: string, freshEpoch: string, since: number, limit: number, ttlMs: number,
      subscribing: 0 | 1, newest: 0 | 1, maxBytes: number): Promise<[string, string, RawEntry[]] | null>
    /** figures.lua */
    proxyerFigures (prefix: string, liveSince: number, topicsSince: number, only: string): Promise<[RawInstance[], RawStats[]]>
    /** topic-page.lua */
    proxyerTopicPage (prefix: string, liveSince: number, namePrefix: string, after: string, limit: number): Promise<[RawPageRow[], string, 0 | 1]>
    /** bridge-lease.lua */
    proxyerBridgeLease (key: string, id: string, ttlMs: number): Promise<number>
  }
}

/** id, connections, startedAt, lastSeenAt, [topic, subscribers, ...], [topic, delivered, ...], [topic, slow consumers, ...] */
export type RawInstance = [string, string, string, string, string[], string[], string[]]
/** offset, frame, time */
export type RawEntry = [string, string, string]
/** name, published, lastPublishedAt ('' for none), subscribers, delivered, slow consumers */
export type RawPageRow = [string, string, string, number, number, number]
/** topic, published, lastPublishedAt */
export type RawStats = [string, string, string]

export function defineScripts (redis: Redis): void {
  redis.defineCommand('proxyerPublish', { numberOfKeys: 0, lua: PUBLISH })
  redis.defineCommand('proxyerHistory', { numberOfKeys: 0, lua: HISTORY })
  redis.defineCommand('proxyerFigures', { numberOfKeys: 0, lua: FIGURES })
  redis.defineCommand('proxyerTopicPage', { numberOfKeys: 0, lua: TOPIC_PAGE })
  redis.defineCommand('proxyerBridgeLease', { numberOfKeys: 1, lua: BRIDGE_LEASE })
}
