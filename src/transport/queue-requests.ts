/** One connection's work-queue requests: the jobs it queued or watches and the queues it consumes, all let go when it closes. */
import { ErrorCode } from '../contract/codes.js'
import { errorFrame, queueFrame } from '../contract/frames.js'
import type { QueueRequest, RequestIdValue } from '../contract/schemas.js'
import { isJobId } from '../queue/job-id.js'
import type { TrafficFigures } from '../metrics/traffic-figures.js'
import { QueueFullError, type ClaimedJob, type Consumption, type HoldOutcome, type JobConsumer, type JobEvent, type WorkQueue } from '../queue/work-queue.js'

export interface QueueRequestLimits {
  /** Jobs followed at once (queued here or watched). */
  maxWatchedJobs: number
  /** Queues consumed at once. */
  maxConsumptions: number
}

interface Followed {
  /** The last place told, so only changes go out. */
  last: number | undefined
  stop: (() => void) | undefined
}

interface Consuming {
  consumption: Consumption
  prefetch: number
}

export class QueueRequests implements JobConsumer {
  /** `queue\njob` -> the watch this connection holds on it. */
  private readonly followed = new Map<string, Followed>()
  private readonly consuming = new Map<string, Consuming>()

  constructor (
    private readonly queues: WorkQueue,
    private readonly limits: QueueRequestLimits,
    private readonly send: (frame: string) => void,
    private readonly figures: TrafficFigures
  ) {}

  async run (request: QueueRequest): Promise<void> {
    switch (request.action) {
      case 'enqueue': return await this.enqueue(request.queue, request.message, request.key, request.id)
      case 'watch': return await this.watch(request.queue, request.job, request.id)
      case 'consume': return this.consume(request.queue, request.prefetch, request.id)
      case 'ack': return await this.settle(request.queue, request.job, request.id, 'acked', async (c) => c.ack(request.job, request.result ?? null))
      case 'nack': return await this.settle(request.queue, request.job, request.id, 'nacked', async (c) => c.nack(request.job, request.error, request.delayMs ?? 0))
      case 'cancel': return await this.cancel(request.queue, request.id)
    }
  }

  /** A job pushed to this consuming connection. */
  deliver (queue: string, job: ClaimedJob): void {
    this.send(queueFrame({ action: 'job', queue, job: job.job, message: job.message, attempt: job.attempt }))
  }

  /** Once the connection has closed: its held jobs go back in line at once, its watches go. */
  async close (): Promise<void> {
    for (const followed of this.followed.values()) followed.stop?.()
    this.followed.clear()
    const consuming = [...this.consuming.values()]
    this.consuming.clear()
    await Promise.all(consuming.map(async ({ consumption }) => consumption.cancel()))
  }

  private refuse (code: ErrorCode, error: string, id: RequestIdValue | undefined): void {
    this.figures.countError('ws', code)
    this.send(errorFrame(code, error, id))
  }

  private roomToFollow (id: RequestIdValue | undefined): boolean {
    if (this.followed.size < this.limits.maxWatchedJobs) return true
    this.refuse(ErrorCode.tooManyWatches,
      `A connection may follow at most ${this.limits.maxWatchedJobs} unfinished jobs (queued or watched); wait for some to finish`, id)
    return false
  }

  /** The receipt is sent whether or not the request has an id: it is the only way to learn the job id. */
  private async enqueue (queue: string, message: unknown, key: string | undefined, id: RequestIdValue | undefined): Promise<void> {
    // checked first, so a refused job is not queued at all
    if (!this.roomToFollow(id)) return
    let enqueued
    try {
      enqueued = await this.queues.enqueue(queue, message, key)
    } catch (err) {
      if (!(err instanceof QueueFullError)) throw err
      return this.refuse(ErrorCode.queueFull, err.message, id)
    }
    this.send(queueFrame({ action: 'enqueued', id, ...enqueued }))
    // without a key the job is new, so its place is the one just answered; a key may answer an earlier job, since moved on
    await this.follow(queue, enqueued.job, undefined, enqueued.position, key === undefined)
  }

  private async watch (queue: string, job: string, id: RequestIdValue | undefined): Promise<void> {
    const key = `${queue}\n${job}`
    // watched again (a client that lost track): the new watch tells the state afresh
    this.followed.get(key)?.stop?.()
    this.followed.delete(key)
    if (!this.roomToFollow(id)) return
    if (!isJobId(job) || !await this.follow(queue, job, id, undefined)) {
      this.refuse(ErrorCode.unknownJob, `No job "${job}" in queue "${queue}" (unknown, or finished longer ago than JOB_RESULT_TTL)`, id)
    }
  }

  /**
   * Tells this connection the job's state at once (with `id` on that first frame), then its changes; false for an unknown job.
   * `placed`: `last` is the place its enqueue has just answered, so the engine is not asked again.
   */
  private async follow (queue: string, job: string, id: RequestIdValue | undefined, last: number | undefined, placed = false): Promise<boolean> {
    const key = `${queue}\n${job}`
    const followed: Followed = { last, stop: undefined }
    this.followed.set(key, followed)
    let replyId = id
    const stop = await this.queues.watch(queue, job, (event: JobEvent) => {
      if (this.followed.get(key) !== followed) return
      if (event.type === 'position') {
        if (event.position === followed.last && replyId === undefined) return
        followed.last = event.position
        this.send(queueFrame({ action: 'position', id: replyId, queue, job, position: event.position }))
      } else {
        // the engine lets the listener go after the outcome
        this.followed.delete(key)
        this.send(queueFrame(event.type === 'done'
          ? { action: 'done', id: replyId, queue, job, result: event.result }
          : { action: 'failed', id: replyId, queue, job, error: event.error, attempts: event.attempts }))
      }
      replyId = undefined
    }, placed ? last : undefined)
    if (stop === undefined) {
      this.followed.delete(key)
      return false
    }
    // finished while being watched: nothing left to stop
    if (this.followed.get(key) === followed) followed.stop = stop
    return true
  }

  private consume (queue: string, prefetch: number, id: RequestIdValue | undefined): void {
    const existing = this.consuming.get(queue)
    if (existing === undefined && this.consuming.size >= this.limits.maxConsumptions) {
      return this.refuse(ErrorCode.tooManySubscriptions, `A connection may consume at most ${this.limits.maxConsumptions} queues`, id)
    }
    // consuming again keeps the prefetch in effect: the reply says which
    const consuming = existing ?? { consumption: this.queues.consume(queue, this, prefetch), prefetch }
    this.consuming.set(queue, consuming)
    if (id !== undefined) this.send(queueFrame({ action: 'consuming', id, queue, prefetch: consuming.prefetch }))
  }

  private async settle (queue: string, job: string, id: RequestIdValue | undefined, reply: 'acked' | 'nacked',
    act: (consumption: Consumption) => Promise<HoldOutcome>): Promise<void> {
    const consuming = this.consuming.get(queue)
    if (consuming === undefined) return this.refuse(ErrorCode.notHeld, `This connection does not consume queue "${queue}": send consume first`, id)
    const outcome = isJobId(job) ? await act(consuming.consumption) : 404
    if (outcome === 404) return this.refuse(ErrorCode.unknownJob, `No job "${job}" in queue "${queue}"`, id)
    if (outcome === 409) return this.refuse(ErrorCode.notHeld, `This connection does not hold job "${job}": it was acked, nacked or returned already`, id)
    if (id !== undefined) this.send(queueFrame({ action: reply, id, queue, job }))
  }

  private async cancel (queue: string, id: RequestIdValue | undefined): Promise<void> {
    const consuming = this.consuming.get(queue)
    this.consuming.delete(queue)
    await consuming?.consumption.cancel()
    if (id !== undefined) this.send(queueFrame({ action: 'cancelled', id, queue }))
  }
}
