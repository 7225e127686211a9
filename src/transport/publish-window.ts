/** Bounds one connection's publishes awaiting the broker: the rest wait here, in order, and start as answers come. */

/**
 * Enough to keep a pipeline to Redis full. Without a bound, a burst of 100,000 publishes queues in Redis
 * for seconds, and the last ones outlive REDIS_COMMAND_TIMEOUT_MS (504, outcome unknown) though Redis is well.
 */
export const PUBLISHES_IN_FLIGHT = 256

export class PublishWindow {
  private inFlight = 0
  private readonly waiting: Array<() => void> = []

  constructor (private readonly size = PUBLISHES_IN_FLIGHT) {}

  /** Runs `start` once fewer than `size` started ones are unsettled; resolves and rejects as it does. */
  async run<T> (start: () => Promise<T>): Promise<T> {
    if (this.inFlight >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve))
    else this.inFlight++
    try {
      return await start()
    } finally {
      // the slot passes straight to the next one waiting, so a later arrival cannot overtake it
      const next = this.waiting.shift()
      if (next === undefined) this.inFlight--
      else next()
    }
  }
}
