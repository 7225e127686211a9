/** The contract of the work queues (embedded or Redis) that the HTTP routes and the socket session use. */
import type { IdempotencyLimits } from '../broker/broker.js'

/** What a producer learns when its job is in line. */
export interface EnqueueResult {
  queue: string
  job: string
  /** 1-based place in line. */
  position: number
}

/** One delivery of a job to a worker. */
export interface ClaimedJob {
  job: string
  /** New on every delivery: proves who holds the job now. */
  receipt: string
  message: unknown
  /** 1 on the first delivery, one more on each redelivery. */
  attempt: number
  /** ISO time of enqueue. */
  enqueuedAt: string
}

export interface ClaimOptions {
  /** Jobs at most, 1-100. */
  max: number
  /** How long to wait for a first job when none is waiting (0: answer at once). */
  waitMs: number
  /** How long the claimer holds the jobs before they are handed out again. */
  visibilityMs: number
  /** Ends the wait early (the HTTP client went away, the consumer closed). */
  signal?: AbortSignal
  /** Made by a registered consumer, already counted in the figures: the wait is not counted again. */
  counted?: boolean
}

/** The outcome of ack, nack and extend, as HTTP statuses: done, the receipt no longer holds the job, no such job. */
export type HoldOutcome = 200 | 409 | 404

export type JobState = 'waiting' | 'active' | 'done' | 'failed'

export interface JobStatus {
  queue: string
  job: string
  state: JobState
  /** Place in line while waiting; a job nacked with a delay keeps its place, though it is not handed out before the delay ends. */
  position?: number
  attempts: number
  result?: unknown
  error?: string
}

export interface QueueStats {
  queue: string
  /** Waiting and delayed jobs. */
  waiting: number
  active: number
  /** Socket consumers and waiting HTTP claims, over the whole cluster. */
  consumers: number
  enqueued: number
  done: number
  failed: number
  /** Age of the job at the front of the line, 0 when none waits. */
  oldestWaitingMs: number
}

export interface FailedJob {
  job: string
  message: unknown
  error: string
  attempts: number
  failedAt: string
}

/** What a watcher of one job hears: its place in line (0: held by a worker), then its outcome. */
export type JobEvent =
  | { type: 'position', queue: string, job: string, position: number }
  | { type: 'done', queue: string, job: string, result: unknown }
  | { type: 'failed', queue: string, job: string, error: string, attempts: number }

export type JobListener = (event: JobEvent) => void

/** A socket worker: receives jobs while it holds fewer than its prefetch. */
export interface JobConsumer {
  deliver (queue: string, job: ClaimedJob): void
}

/** One consumer's registration on one queue; the connection is the holder, so no receipts. */
export interface Consumption {
  ack (job: string, result: unknown): Promise<HoldOutcome>
  nack (job: string, error: string | undefined, delayMs: number): Promise<HoldOutcome>
  /** Stops deliveries and puts the held jobs back at the front of the line at once. */
  cancel (): Promise<void>
}

export interface WorkQueue {
  /**
   * Throws QueueFullError when QUEUE_MAX_LENGTH jobs wait; nothing is queued then. With `key`, a repeat
   * on the same queue within IDEMPOTENCY_TTL queues nothing and resolves with the first one's result.
   */
  enqueue (queue: string, message: unknown, key?: string): Promise<EnqueueResult>
  /** Takes up to `max` jobs from the front of the line; waits up to `waitMs` for the first. */
  claim (queue: string, options: ClaimOptions): Promise<ClaimedJob[]>
  ack (queue: string, job: string, receipt: string, result: unknown): Promise<HoldOutcome>
  /** Back in line (at its old place, the front) after `delayMs`, or failed when it was the last attempt. */
  nack (queue: string, job: string, receipt: string, error: string | undefined, delayMs: number): Promise<HoldOutcome>
  /** Holds the job `visibilityMs` longer from now; counts no attempt. */
  extend (queue: string, job: string, receipt: string, visibilityMs: number): Promise<HoldOutcome>
  /** Undefined for an unknown job, or one finished longer than JOB_RESULT_TTL ago. */
  status (queue: string, job: string): Promise<JobStatus | undefined>
  /** Names of the queues that exist (not empty, or empty for less than the topic TTL). */
  queues (): Promise<string[]>
  stats (queue: string): Promise<QueueStats | undefined>
  /** Newest first, at most `limit` of the last 1,000; undefined for a queue that does not exist. */
  failed (queue: string, limit: number): Promise<FailedJob[] | undefined>
  /**
   * Tells `listener` the job's current state at once (a position, 0 while held, or its outcome),
   * then each change of place at most every POSITION_INTERVAL_MS, and its outcome. Resolves with
   * the function that stops watching, or undefined for an unknown job (and the listener is not kept).
   * `placed`: the place enqueue has just answered, with nothing awaited since, taken as the current
   * state instead of asking the engine; the watch is in place before this returns, so no outcome is missed.
   */
  watch (queue: string, job: string, listener: JobListener, placed?: number): Promise<(() => void) | undefined>
  /** Delivers jobs to `consumer` while it holds fewer than `prefetch`, until cancelled. */
  consume (queue: string, consumer: JobConsumer, prefetch: number): Consumption
  close (): Promise<void>
}

/** Thrown by enqueue when the queue holds QUEUE_MAX_LENGTH waiting jobs. */
export class QueueFullError extends Error {
  constructor (readonly queue: string, readonly maxLength: number) {
    super(`Queue "${queue}" is full (${maxLength} jobs waiting); retry later`)
    this.name = 'QueueFullError'
  }
}

/** The limits both engines enforce, from the configuration. */
export interface QueueLimits {
  maxLength: number
  maxAttempts: number
  resultTtlMs: number
  /** An empty queue disappears after this long. */
  queueTtlMs: number
  positionIntervalMs: number
  idempotency: IdempotencyLimits
}

/** The clock the engines read, replaced in tests that would otherwise sleep. */
export type Clock = () => number

/** The failed list keeps this many, newest first. */
export const FAILED_KEPT = 1000
