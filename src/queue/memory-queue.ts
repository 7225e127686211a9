/** The embedded work queues: every line in this process's memory, lost on restart. */
import { TokenSource } from './job-id.js'
import { OrderedLine } from './ordered-line.js'
import { JobWatchers, type PositionSource } from './job-watchers.js'
import { Wakeups } from './wakeups.js'
import { Consumptions } from './consumptions.js'
import { ConsumerCounts } from './consumer-counts.js'
import { IdempotencyKeys } from '../broker/idempotency-keys.js'
import {
  FAILED_KEPT, QueueFullError, type ClaimedJob, type ClaimOptions, type Clock, type Consumption, type EnqueueResult, type FailedJob,
  type HoldOutcome, type JobConsumer, type JobListener, type JobStatus, type QueueLimits, type QueueStats, type WorkQueue
} from './work-queue.js'

interface MemoryJob {
  id: string
  message: unknown
  /** Place in the order of enqueue; a job that comes back keeps it, so it goes to the front. */
  seq: number
  attempts: number
  state: 'waiting' | 'delayed' | 'active' | 'done' | 'failed'
  enqueuedAt: number
  receipt?: string
  /** When a held job lapses, or a delayed one comes back. */
  until: number
  result?: unknown
  error?: string
  finishedAt: number
}

/** A waiting job's place in line; a delayed one is out of the line but keeps its sequence number, so its place is the one it comes back to. */
function place (line: Line, job: MemoryJob): number {
  return line.line.rank(job.seq) + (job.state === 'delayed' ? 1 : 0)
}

class Line {
  readonly jobs = new Map<string, MemoryJob>()
  /** Waiting jobs by sequence number. */
  readonly bySeq = new Map<number, MemoryJob>()
  line = new OrderedLine(1024)
  readonly active = new Set<MemoryJob>()
  readonly delayed = new Set<MemoryJob>()
  /** Finished jobs in the order they finished, so the expired ones are at the front. */
  readonly finished = new Map<string, MemoryJob>()
  /** Newest first. */
  readonly failedList: FailedJob[] = []
  nextSeq = 1
  enqueued = 0
  done = 0
  failed = 0
  emptySince: number

  constructor (now: number) {
    this.emptySince = now
  }

  get unfinished (): number {
    return this.bySeq.size + this.active.size + this.delayed.size
  }

  /** Numbers the unfinished jobs 1..n again, in order, when the sequence reaches the tree's end. */
  compact (): void {
    const live = [...this.bySeq.values(), ...this.active, ...this.delayed].sort((a, b) => a.seq - b.seq)
    this.line = new OrderedLine(Math.max(1024, live.length * 4))
    this.bySeq.clear()
    let seq = 1
    for (const job of live) {
      job.seq = seq++
      if (job.state === 'waiting') {
        this.bySeq.set(job.seq, job)
        this.line.add(job.seq)
      }
    }
    this.nextSeq = seq
  }
}

export interface MemoryQueueOptions {
  limits: QueueLimits
  /** Socket consumers' visibility, renewed while they live. */
  visibilityMs: number
  sweepIntervalMs: number
  now?: Clock
  onError: (err: unknown) => void
}

export class MemoryWorkQueue implements WorkQueue, PositionSource {
  private readonly lines = new Map<string, Line>()
  private readonly wakeups = new Wakeups()
  private readonly consumers = new ConsumerCounts()
  private readonly watchers: JobWatchers
  private readonly sweeper: NodeJS.Timeout
  private readonly consumptions: Consumptions
  private readonly keys: IdempotencyKeys<EnqueueResult>
  private readonly now: Clock
  private readonly tokens = new TokenSource()

  constructor (private readonly options: MemoryQueueOptions) {
    this.now = options.now ?? Date.now
    this.keys = new IdempotencyKeys(options.limits.idempotency)
    this.consumptions = new Consumptions(this, this.consumers, options)
    this.watchers = new JobWatchers(this, options.limits.positionIntervalMs, options.onError)
    this.sweeper = setInterval(() => this.sweep(), options.sweepIntervalMs)
    this.sweeper.unref()
  }

  private existing (queue: string): Line | undefined {
    const line = this.lines.get(queue)
    if (line === undefined) return undefined
    if (line.unfinished === 0 && this.now() - line.emptySince >= this.options.limits.queueTtlMs) {
      this.lines.delete(queue)
      return undefined
    }
    return line
  }

  async enqueue (queue: string, message: unknown, key?: string): Promise<EnqueueResult> {
    const earlier = key === undefined ? undefined : this.keys.get(queue, key, this.now())
    if (earlier !== undefined) return earlier
    const { maxLength } = this.options.limits
    let line = this.existing(queue)
    if (line !== undefined && line.bySeq.size + line.delayed.size >= maxLength) throw new QueueFullError(queue, maxLength)
    if (line === undefined) {
      line = new Line(this.now())
      this.lines.set(queue, line)
    }
    if (line.nextSeq > line.line.capacity) line.compact()
    const job: MemoryJob = { id: this.tokens.next(), message, seq: line.nextSeq++, attempts: 0, state: 'waiting', enqueuedAt: this.now(), until: 0, finishedAt: 0 }
    line.jobs.set(job.id, job)
    line.enqueued++
    this.toLine(queue, line, job)
    const result = { queue, job: job.id, position: line.line.rank(job.seq) }
    if (key !== undefined) this.keys.remember(queue, key, result, this.now())
    return result
  }

  private toLine (queue: string, line: Line, job: MemoryJob): void {
    job.state = 'waiting'
    job.receipt = undefined
    line.bySeq.set(job.seq, job)
    line.line.add(job.seq)
    this.wakeups.wake(queue)
  }

  async claim (queue: string, options: ClaimOptions): Promise<ClaimedJob[]> {
    const claim = async (): Promise<ClaimedJob[]> => this.wakeups.claim(queue, options, async () => this.take(queue, options))
    return options.counted === true || options.waitMs === 0 ? claim() : this.consumers.during(queue, claim)
  }

  private take (queue: string, { max, visibilityMs }: ClaimOptions): ClaimedJob[] {
    const line = this.existing(queue)
    if (line === undefined) return []
    const jobs: ClaimedJob[] = []
    while (jobs.length < max && line.line.size > 0) {
      const seq = line.line.first()
      const job = line.bySeq.get(seq) as MemoryJob
      line.line.delete(seq)
      line.bySeq.delete(seq)
      job.state = 'active'
      job.attempts++
      job.receipt = this.tokens.next()
      job.until = this.now() + visibilityMs
      line.active.add(job)
      jobs.push({ job: job.id, receipt: job.receipt, message: job.message, attempt: job.attempts, enqueuedAt: new Date(job.enqueuedAt).toISOString() })
    }
    return jobs
  }

  /** The held job, or why the receipt does not hold it. */
  private held (queue: string, id: string, receipt: string): [Line, MemoryJob] | 404 | 409 {
    const line = this.existing(queue)
    const job = line?.jobs.get(id)
    if (line === undefined || job === undefined) return 404
    if (job.state !== 'active' || job.receipt !== receipt) return 409
    return [line, job]
  }

  async ack (queue: string, id: string, receipt: string, result: unknown): Promise<HoldOutcome> {
    const held = this.held(queue, id, receipt)
    if (!Array.isArray(held)) return held
    const [line, job] = held
    line.active.delete(job)
    job.result = result ?? null
    line.done++
    this.finish(line, job, 'done')
    this.watchers.finish({ type: 'done', queue, job: id, result: job.result })
    return 200
  }

  async nack (queue: string, id: string, receipt: string, error: string | undefined, delayMs: number): Promise<HoldOutcome> {
    const held = this.held(queue, id, receipt)
    if (!Array.isArray(held)) return held
    this.giveBack(queue, held[0], held[1], error ?? 'nacked by the worker', delayMs)
    return 200
  }

  async extend (queue: string, id: string, receipt: string, visibilityMs: number): Promise<HoldOutcome> {
    const held = this.held(queue, id, receipt)
    if (!Array.isArray(held)) return held
    held[1].until = this.now() + visibilityMs
    return 200
  }

  /** A held job leaves its holder: back in line, or failed when that was its last attempt. */
  private giveBack (queue: string, line: Line, job: MemoryJob, error: string, delayMs: number): void {
    line.active.delete(job)
    job.error = error
    if (job.attempts >= this.options.limits.maxAttempts) {
      line.failed++
      this.finish(line, job, 'failed')
      line.failedList.unshift({ job: job.id, message: job.message, error, attempts: job.attempts, failedAt: new Date(job.finishedAt).toISOString() })
      if (line.failedList.length > FAILED_KEPT) line.failedList.pop()
      this.watchers.finish({ type: 'failed', queue, job: job.id, error, attempts: job.attempts })
    } else if (delayMs > 0) {
      job.state = 'delayed'
      job.receipt = undefined
      job.until = this.now() + delayMs
      line.delayed.add(job)
    } else {
      this.toLine(queue, line, job)
    }
  }

  private finish (line: Line, job: MemoryJob, state: 'done' | 'failed'): void {
    job.state = state
    job.receipt = undefined
    job.finishedAt = this.now()
    line.finished.set(job.id, job)
    if (line.unfinished === 0) line.emptySince = job.finishedAt
  }

  /** Hands lapsed jobs out again (or fails them), brings delayed ones back, forgets expired results and empty queues. */
  sweep (): void {
    const now = this.now()
    for (const [queue, line] of this.lines) {
      for (const job of line.active) {
        if (job.until <= now) this.giveBack(queue, line, job, `not acknowledged within its visibility time (attempt ${job.attempts})`, 0)
      }
      for (const job of line.delayed) {
        if (job.until <= now) {
          line.delayed.delete(job)
          this.toLine(queue, line, job)
        }
      }
      for (const job of line.finished.values()) {
        if (now - job.finishedAt < this.options.limits.resultTtlMs) break
        line.finished.delete(job.id)
        line.jobs.delete(job.id)
      }
      this.existing(queue)
    }
  }

  async status (queue: string, id: string): Promise<JobStatus | undefined> {
    const job = this.existing(queue)?.jobs.get(id)
    if (job === undefined) return undefined
    const line = this.lines.get(queue) as Line
    const state = job.state === 'delayed' ? 'waiting' : job.state
    const status: JobStatus = { queue, job: id, state, attempts: job.attempts }
    if (status.state === 'waiting') status.position = place(line, job)
    if (job.state === 'done') status.result = job.result
    if (job.error !== undefined && job.state !== 'done') status.error = job.error
    return status
  }

  async positions (queue: string, ids: string[]): Promise<Array<number | null>> {
    const line = this.existing(queue)
    return ids.map((id) => {
      const job = line?.jobs.get(id)
      if (line === undefined || job === undefined || job.state === 'done' || job.state === 'failed') return null
      return job.state === 'active' ? 0 : place(line, job)
    })
  }

  async queues (): Promise<string[]> {
    return [...this.lines.keys()].filter((queue) => this.existing(queue) !== undefined)
  }

  async stats (queue: string): Promise<QueueStats | undefined> {
    const line = this.existing(queue)
    if (line === undefined) return undefined
    const front = line.bySeq.get(line.line.first())
    return {
      queue,
      waiting: line.bySeq.size + line.delayed.size,
      active: line.active.size,
      consumers: this.consumers.get(queue),
      enqueued: line.enqueued,
      done: line.done,
      failed: line.failed,
      oldestWaitingMs: front === undefined ? 0 : this.now() - front.enqueuedAt
    }
  }

  async failed (queue: string, limit: number): Promise<FailedJob[] | undefined> {
    return this.existing(queue)?.failedList.slice(0, limit)
  }

  async watch (queue: string, job: string, listener: JobListener, placed?: number): Promise<(() => void) | undefined> {
    return this.watchers.watch(queue, job, listener, placed)
  }

  consume (queue: string, consumer: JobConsumer, prefetch: number): Consumption {
    return this.consumptions.start(queue, consumer, prefetch)
  }

  async close (): Promise<void> {
    this.wakeups.close()
    clearInterval(this.sweeper)
    await this.consumptions.cancelAll()
    this.watchers.close()
  }
}
