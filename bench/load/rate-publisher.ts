/** Publishes at a fixed rate on a timer and remembers when each message left, for latency. */
import { performance } from 'node:perf_hooks'
import type { PublishingClient } from './publishing-client.js'
import type { Dialect } from './dialect.js'
import { messageMaker } from './message.js'

export class RatePublisher {
  sent = 0
  /** performance.now() at which message `seq` was written. */
  readonly sentAt: Float64Array
  private timer: NodeJS.Timeout | undefined
  private next = 0
  private readonly interval: number
  private readonly makeMessage: (seq: number) => string

  constructor (
    private readonly client: PublishingClient,
    private readonly dialect: Dialect,
    private readonly topic: string,
    rate: number,
    /** No more than this many are sent, whatever the timer does. */
    private readonly capacity: number,
    padBytes: number
  ) {
    this.interval = 1000 / rate
    this.sentAt = new Float64Array(capacity)
    this.makeMessage = messageMaker(padBytes)
  }

  start (): void {
    this.next = performance.now()
    this.tick()
  }

  stop (): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private readonly tick = (): void => {
    // catches up after a late timer, so the rate holds on average
    while (this.next <= performance.now() && this.sent < this.capacity) {
      const seq = this.sent++
      this.sentAt[seq] = performance.now()
      this.client.sendText(this.dialect.publish(this.topic, this.makeMessage(seq), this.client.takeId()))
      this.next += this.interval
    }
    if (this.sent < this.capacity) this.timer = setTimeout(this.tick, Math.max(0, this.next - performance.now()))
  }
}
