/** The embedded engines' memory of idempotency keys: each topic+key's (or queue+key's) first result, kept for a TTL, bounded in number. */
import type { IdempotencyLimits } from './broker.js'

interface Remembered<Result> {
  result: Result
  expiresAt: number
}

export class IdempotencyKeys<Result> {
  /** In insertion order, which is expiry order since every key lives the same TTL. */
  private readonly results = new Map<string, Remembered<Result>>()

  constructor (private readonly limits: IdempotencyLimits) {}

  /** The first result under this key on this topic, while it is kept. */
  get (topic: string, key: string, now = Date.now()): Result | undefined {
    this.expire(now)
    return this.results.get(name(topic, key))?.result
  }

  remember (topic: string, key: string, result: Result, now = Date.now()): void {
    this.results.set(name(topic, key), { result, expiresAt: now + this.limits.ttlMs })
    // the oldest key goes first, so a flood of keys cannot grow the map past its bound
    if (this.results.size > this.limits.maxKeys) this.results.delete(this.results.keys().next().value as string)
  }

  private expire (now: number): void {
    for (const [name, remembered] of this.results) {
      if (remembered.expiresAt > now) return
      this.results.delete(name)
    }
  }
}

/** Topics and queues hold no `|`, so topic and key cannot run into one another. */
function name (topic: string, key: string): string {
  return `${topic}|${key}`
}
