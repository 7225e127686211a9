/** Whether Redis answers: a PING at a steady pace on a connection of its own, so a frozen Redis is known within a bounded time and a busy one is not taken for it. */
import type { RedisClient } from './scripts.js'

export class RedisProbe {
  private readonly timer: NodeJS.Timeout
  /** When the PING now unanswered was sent. */
  private waitingSince: number | undefined
  /** Whether the last PING was answered. */
  private answered = true

  /** A PING every `timeoutMs / 4`; Redis counts as not answering once one waits past `timeoutMs` or fails. */
  constructor (private readonly redis: RedisClient, private readonly timeoutMs: number, private readonly now: () => number = Date.now) {
    this.timer = setInterval(() => this.ping(), Math.max(25, Math.floor(timeoutMs / 4)))
    this.timer.unref()
  }

  get answering (): boolean {
    if (this.waitingSince !== undefined && this.now() - this.waitingSince > this.timeoutMs) return false
    return this.answered
  }

  stop (): void {
    clearInterval(this.timer)
  }

  private ping (): void {
    if (this.waitingSince !== undefined || this.redis.status !== 'ready') return
    this.waitingSince = this.now()
    this.redis.ping().then(() => { this.answered = true }, () => { this.answered = false })
      .finally(() => { this.waitingSince = undefined })
  }
}
