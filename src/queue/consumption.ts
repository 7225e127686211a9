/** A socket consumer's registration on a queue: claims while it holds fewer than its prefetch, keeps its jobs held while it lives. */
import type { ClaimedJob, Consumption, HoldOutcome, JobConsumer, WorkQueue } from './work-queue.js'

export interface ConsumptionOptions {
  queue: string
  prefetch: number
  /** The visibility claimed with, renewed every third of it while the consumer lives. */
  visibilityMs: number
  /** How long one claim waits before it asks again. */
  pollMs: number
  /** Called once the consumption has stopped, so the engine can stop counting it. */
  onStop: () => void
  onError: (err: unknown) => void
}

export class QueueConsumption implements Consumption {
  /** job -> receipt of the jobs this consumer holds. */
  private readonly held = new Map<string, string>()
  private readonly abort = new AbortController()
  private readonly renewal: NodeJS.Timeout
  private roomMade: (() => void) | undefined
  private readonly stopped: Promise<void>

  constructor (private readonly engine: WorkQueue, private readonly consumer: JobConsumer, private readonly options: ConsumptionOptions) {
    this.renewal = setInterval(() => { this.renew().catch(options.onError) }, Math.max(10, Math.floor(options.visibilityMs / 3)))
    this.renewal.unref()
    this.stopped = this.run().catch(options.onError).finally(options.onStop)
  }

  private get active (): boolean {
    return !this.abort.signal.aborted
  }

  private async run (): Promise<void> {
    const { queue, prefetch, visibilityMs, pollMs } = this.options
    while (this.active) {
      if (this.held.size >= prefetch) {
        await new Promise<void>((resolve) => { this.roomMade = resolve })
        continue
      }
      let jobs: ClaimedJob[]
      try {
        jobs = await this.engine.claim(queue, { max: prefetch - this.held.size, waitMs: pollMs, visibilityMs, signal: this.abort.signal, counted: true })
      } catch (err) {
        // the backend is away: try again shortly rather than stop consuming
        this.options.onError(err)
        await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, 1000)))
        continue
      }
      for (const job of jobs) {
        this.held.set(job.job, job.receipt)
        // a claim that came back after cancel goes back in line with the rest
        if (this.active) this.consumer.deliver(queue, job)
      }
    }
  }

  private makeRoom (): void {
    const wake = this.roomMade
    this.roomMade = undefined
    wake?.()
  }

  /** Holds its jobs longer; one it lost anyway (the process froze past the visibility) is let go, which makes room for another. */
  private async renew (): Promise<void> {
    for (const [job, receipt] of [...this.held]) {
      if (await this.engine.extend(this.options.queue, job, receipt, this.options.visibilityMs) === 200) continue
      this.held.delete(job)
      this.makeRoom()
    }
  }

  private async settle (job: string, act: (receipt: string) => Promise<HoldOutcome>): Promise<HoldOutcome> {
    const receipt = this.held.get(job)
    if (receipt === undefined) return (await this.engine.status(this.options.queue, job)) === undefined ? 404 : 409
    const outcome = await act(receipt)
    this.held.delete(job)
    this.makeRoom()
    return outcome
  }

  async ack (job: string, result: unknown): Promise<HoldOutcome> {
    return this.settle(job, async (receipt) => this.engine.ack(this.options.queue, job, receipt, result))
  }

  async nack (job: string, error: string | undefined, delayMs: number): Promise<HoldOutcome> {
    return this.settle(job, async (receipt) => this.engine.nack(this.options.queue, job, receipt, error, delayMs))
  }

  async cancel (): Promise<void> {
    if (!this.active) return this.stopped
    this.abort.abort()
    this.makeRoom()
    clearInterval(this.renewal)
    await this.stopped
    const held = [...this.held]
    this.held.clear()
    await Promise.all(held.map(async ([job, receipt]) =>
      this.engine.nack(this.options.queue, job, receipt, 'the consumer went away', 0).catch(this.options.onError)))
  }
}
