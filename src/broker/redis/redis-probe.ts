/**
 * Whether Redis answers: a PING at a steady pace on a connection of its own, so a frozen Redis is known within a
 * bounded time and a busy one is not taken for it. The wait is judged in time the event loop was free to read the
 * answer: a long turn (a burst of 100,000 publishes, a long GC pause) delays reading the PONG, not Redis.
 * On a Redis Cluster every master the slot table names is PINGed: ioredis' Cluster client holds a dead master's
 * commands until the failover ends, and a PING to any one node would answer while a shard is down.
 */
import { Cluster } from 'ioredis'
import type { RedisClient } from './scripts.js'

/** The slots of a Redis Cluster. */
const SLOTS = 16384

export class RedisProbe {
  private readonly timer: NodeJS.Timeout
  private readonly intervalMs: number
  /** When the last tick ran: a tick that runs late measures how long the event loop was held. */
  private lastTick: number
  /** When the PING now unanswered was sent. */
  private waitingSince: number | undefined
  /** How late the ticks ran since that PING was sent: time in which its answer could not have been read. */
  private heldMs = 0
  /** Whether the last PING was answered. */
  private answered = true

  /** A PING every `timeoutMs / 4`; Redis counts as not answering once one waits past `timeoutMs` of free loop time, or fails. */
  constructor (private readonly redis: RedisClient, private readonly timeoutMs: number, private readonly now: () => number = Date.now) {
    this.intervalMs = Math.max(25, Math.floor(timeoutMs / 4))
    this.lastTick = now()
    this.timer = setInterval(() => this.tick(), this.intervalMs)
    this.timer.unref()
  }

  get answering (): boolean {
    if (this.waitingSince !== undefined && this.unansweredFor(this.now()) > this.timeoutMs) return false
    return this.answered
  }

  stop (): void {
    clearInterval(this.timer)
  }

  /** How long the PING now out has waited while the loop could have read its answer; the turn now running counts as held once it outlasts a tick. */
  private unansweredFor (now: number): number {
    return now - (this.waitingSince as number) - this.heldMs - this.lateness(now)
  }

  private lateness (now: number): number {
    return Math.max(0, now - this.lastTick - this.intervalMs)
  }

  private tick (): void {
    const now = this.now()
    if (this.waitingSince !== undefined) this.heldMs += this.lateness(now)
    this.lastTick = now
    this.ping()
  }

  private ping (): void {
    if (this.waitingSince !== undefined || this.redis.status !== 'ready') return
    this.waitingSince = this.now()
    this.heldMs = 0
    pingEvery(this.redis).then(() => { this.answered = true }, () => {
      this.answered = false
      // a master gone is dropped from ioredis' pool at once, but from its slot table only at the next refresh
      if (this.redis instanceof Cluster) this.redis.refreshSlotsCache()
    }).finally(() => { this.waitingSince = undefined })
  }
}

/** One PING to one Redis; on a Redis Cluster one to each master serving slots, failing when a slot has none connected. */
async function pingEvery (redis: RedisClient): Promise<void> {
  if (!(redis instanceof Cluster)) {
    await redis.ping()
    return
  }
  const masters = new Map(redis.nodes('master').map((node) => [`${node.options.host}:${node.options.port}`, node]))
  const named = new Set<string>()
  for (let slot = 0; slot < SLOTS; slot++) {
    const key = redis.slots[slot]?.[0]
    if (key === undefined) throw new Error(`no master serves slot ${slot}`)
    named.add(key)
  }
  await Promise.all([...named].map(async (key) => {
    const node = masters.get(key)
    if (node === undefined) throw new Error(`the master ${key} is gone`)
    await node.ping()
  }))
}
