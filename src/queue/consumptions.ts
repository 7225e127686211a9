/** An engine's socket consumers: counted among their queue's consumers while they run, all cancelled when the engine closes. */
import { QueueConsumption } from './consumption.js'
import type { ConsumerCounts } from './consumer-counts.js'
import type { Consumption, JobConsumer, WorkQueue } from './work-queue.js'

/** How long one consumer's claim waits before it asks again. */
const POLL_MS = 30_000

export interface ConsumptionsOptions {
  /** Socket consumers' visibility, renewed while they live. */
  visibilityMs: number
  onError: (err: unknown) => void
}

export class Consumptions {
  private readonly running = new Set<Consumption>()

  constructor (private readonly engine: WorkQueue, private readonly counts: ConsumerCounts, private readonly options: ConsumptionsOptions) {}

  start (queue: string, consumer: JobConsumer, prefetch: number): Consumption {
    this.counts.add(queue, 1)
    const consumption = new QueueConsumption(this.engine, consumer, {
      queue,
      prefetch,
      visibilityMs: this.options.visibilityMs,
      pollMs: POLL_MS,
      onError: this.options.onError,
      onStop: () => {
        this.counts.add(queue, -1)
        this.running.delete(consumption)
      }
    })
    this.running.add(consumption)
    return consumption
  }

  /** Every consumer stops, and the jobs they held go back in line. */
  async cancelAll (): Promise<void> {
    await Promise.all([...this.running].map(async (consumption) => consumption.cancel()))
  }
}
