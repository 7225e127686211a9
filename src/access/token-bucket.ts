/** A token bucket: `perSecond` requests sustained, up to `burst` at once; time is passed in, so tests need no sleep. */
import type { RateLimit } from './identity.js'

export class TokenBucket {
  private tokens: number
  private last: number

  constructor (private readonly limit: RateLimit, now: number) {
    this.tokens = limit.burst
    this.last = now
  }

  /** Takes one token for a request at `now` (ms); false when the bucket is empty and the request must be refused. */
  take (now: number): boolean {
    this.tokens = Math.min(this.limit.burst, this.tokens + (now - this.last) * this.limit.perSecond / 1000)
    this.last = now
    if (this.tokens < 1) return false
    this.tokens--
    return true
  }
}
