/** A clock the test moves by hand, so token expiry and rate limits are tested without waiting real seconds. */
import type { Clock } from '../src/transport/clock.js'

interface Timer {
  at: number
  fn: () => void
}

export class ManualClock implements Clock {
  private time: number
  private timers: Timer[] = []

  /** Starts at the real time: tokens are signed and verified against it. */
  constructor (start = Date.now()) {
    this.time = start
  }

  now (): number {
    return this.time
  }

  after (ms: number, fn: () => void): () => void {
    const timer = { at: this.time + ms, fn }
    this.timers.push(timer)
    return () => { this.timers = this.timers.filter((t) => t !== timer) }
  }

  /** Moves time on by `ms`, running the timers due meanwhile in order (those they set included). */
  advance (ms: number): void {
    const end = this.time + ms
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0]
      if (due === undefined) break
      this.timers = this.timers.filter((t) => t !== due)
      this.time = Math.max(this.time, due.at)
      due.fn()
    }
    this.time = end
  }
}
