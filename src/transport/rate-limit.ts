/** A connection's request rate, counted in one-second windows. */

export type Allowance = 'serve' | 'refuse' | 'cut'

export class RateLimit {
  private windowStart = 0
  private windowCount = 0

  constructor (private readonly perSecond: number, private readonly now: () => number = Date.now) {}

  /** Requests past the limit in one second are refused; a client sending twice the limit is cut off. */
  take (): Allowance {
    const now = this.now()
    if (now - this.windowStart >= 1000) {
      this.windowStart = now
      this.windowCount = 0
    }
    this.windowCount++
    if (this.windowCount <= this.perSecond) return 'serve'
    return this.windowCount > 2 * this.perSecond ? 'cut' : 'refuse'
  }
}
