/** The cluster work queues: every line in Redis, shared by all instances, each change one Lua script. */
import { once } from 'node:events'
import type { Redis } from 'ioredis'
import { BrokerUnavailableError } from '../broker/broker.js'
import { closeRedis } from '../broker/redis/close-redis.js'
import { TokenSource } from './job-id.js'
import { TurnBatches, TurnWrites } from '../broker/redis/turn-batches.js'
import { loadScripts, type RunScript } from './redis-scripts.js'
import { JobWatchers, type PositionSource } from './job-watchers.js'
import { Wakeups } from './wakeups.js'
import { ConsumerCounts } from './consumer-counts.js'
import { Consumptions } from './consumptions.js'
import {
  QueueFullError, type ClaimedJob, type ClaimOptions, type Clock, type Consumption, type EnqueueResult, type FailedJob,
  type HoldOutcome, type JobConsumer, type JobEvent, type JobListener, type JobState, type JobStatus, type QueueLimits,
  type QueueStats, type WorkQueue
} from './work-queue.js'

export interface RedisQueueOptions {
  commands: Redis
  /** For SUBSCRIBE only; the engine owns it and closes it. */
  subscriber: Redis
  /** Key prefix of the queues' own namespace (REDIS_PREFIX + 'q:'). */
  prefix: string
  instanceId: string
  instanceTtlMs: number
  limits: QueueLimits
  visibilityMs: number
  sweepIntervalMs: number
  now?: Clock
  onError: (err: unknown) => void
}

type RawJob = [string, string, string, number, string]

export class RedisWorkQueue implements WorkQueue, PositionSource {
  private readonly run: RunScript
  private readonly wakeups = new Wakeups()
  private readonly consumers: ConsumerCounts
  private readonly watchers: JobWatchers
  private readonly timers: NodeJS.Timeout[]
  private readonly consumptions: Consumptions
  private readonly now: Clock
  private readonly tokens = new TokenSource()
  /** The turn's batched scripts (and a heartbeat asked for meanwhile) leave in one write. */
  private readonly turn = new TurnWrites(() => this.options.commands.stream)
  private beatDue = false
  /** A turn's enqueues to a queue in one script call: [job id, message, idempotency key] each. */
  private readonly enqueues = new TurnBatches<[string, string, string], [number, string]>(
    this.turn,
    async (queue, jobs) => {
      const { maxLength, idempotency } = this.options.limits
      return await this.script('enqueue', [queue, maxLength, idempotency.ttlMs, ...jobs.flat()]) as Array<[number, string]>
    }
  )

  /** A turn's acks on a queue in one script call: [job id, receipt, result] each. */
  private readonly acks = new TurnBatches<[string, string, string], HoldOutcome>(
    this.turn,
    async (queue, acks) => await this.script('ack', [queue, ...acks.flat()]) as HoldOutcome[]
  )

  /**
   * A turn's claims on a queue with one visibility (named 'VISIBILITY QUEUE') in one script call: each asks
   * for up to its `max` jobs, and takes them from the jobs handed out, in the order the claims came.
   */
  private readonly claims = new TurnBatches<number, RawJob[]>(
    this.turn,
    async (name, wanted) => {
      const space = name.indexOf(' ')
      const receipts = Array.from({ length: wanted.reduce((sum, max) => sum + max, 0) }, () => this.tokens.next())
      const jobs = await this.script('claim', [name.slice(space + 1), Number(name.slice(0, space)), ...receipts]) as RawJob[]
      let from = 0
      return wanted.map((max) => jobs.slice(from, (from += max)))
    }
  )

  private closed = false

  constructor (private readonly options: RedisQueueOptions) {
    this.now = options.now ?? Date.now
    this.run = loadScripts(options.commands)
    // a count that changes many times in a turn (HTTP long-polls come and go) is written once, at its end
    this.consumers = new ConsumerCounts(() => {
      if (this.beatDue) return
      this.beatDue = true
      this.turn.schedule(() => {
        this.beatDue = false
        this.beat()
      })
    })
    this.watchers = new JobWatchers(this, options.limits.positionIntervalMs, options.onError)
    this.consumptions = new Consumptions(this, this.consumers, options)
    const { subscriber, prefix } = options
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === `${prefix}wake`) this.woken(message)
      else for (const event of [JSON.parse(message) as JobEvent | JobEvent[]].flat()) this.watchers.finish(event)
    })
    // ioredis retries by itself; an outage is reported once, and the channels are subscribed again after it
    let down = false
    subscriber.on('error', (err) => {
      if (!down) options.onError(err)
      down = true
    })
    subscriber.on('ready', () => {
      down = false
      subscriber.subscribe(`${prefix}wake`, `${prefix}events`).then(() => { this.wakeups.wakeAll() }, options.onError)
    })
    this.timers = [
      setInterval(() => { this.sweep().catch(options.onError) }, options.sweepIntervalMs),
      setInterval(() => this.beat(), Math.max(50, Math.floor(options.instanceTtlMs / 3)))
    ]
    for (const timer of this.timers) timer.unref()
  }

  /** Resolves once the channels are subscribed, so no wake-up is missed from the first claim on. */
  async connect (): Promise<void> {
    const { subscriber, prefix } = this.options
    if (subscriber.status !== 'ready') await once(subscriber, 'ready')
    await subscriber.subscribe(`${prefix}wake`, `${prefix}events`)
    this.beat()
  }

  private get ready (): boolean {
    return !this.closed && this.options.commands.status === 'ready'
  }

  private async script (name: Parameters<RunScript>[0], args: Array<string | number>): Promise<unknown> {
    const { prefix, limits } = this.options
    return this.command(async () => this.run(name, [prefix, this.now(), limits.maxAttempts, limits.resultTtlMs, limits.queueTtlMs], args))
  }

  /** A command or script; Redis away (or not answering) is a BrokerUnavailableError, which callers answer with 503. */
  private async command<T> (run: (commands: RedisQueueOptions['commands']) => Promise<T>): Promise<T> {
    try {
      return await run(this.options.commands)
    } catch (err) {
      throw new BrokerUnavailableError((err as Error).message)
    }
  }

  /** Tells the cluster this instance lives, with its consumers per queue. */
  private beat (): void {
    if (!this.ready) return
    const pairs = this.consumers.entries().flat()
    this.script('heartbeat', [this.options.instanceId, this.options.instanceTtlMs * 2, ...pairs]).catch(this.options.onError)
  }

  /** Lapsed and due jobs of every queue; any instance may run it, each change is atomic. */
  async sweep (): Promise<void> {
    if (this.ready) await this.script('sweep', [1000])
  }

  /** A wake-up from enqueue.lua or a job back in line: `QUEUE`, or `COUNT QUEUE` for several jobs. */
  private woken (message: string): void {
    const space = message.indexOf(' ')
    this.wakeups.wake(message.slice(space + 1), space === -1 ? 1 : Number(message.slice(0, space)))
  }

  async enqueue (queue: string, message: unknown, key?: string): Promise<EnqueueResult> {
    const [position, job] = await this.enqueues.add(queue, [this.tokens.next(), JSON.stringify(message) ?? 'null', key ?? ''])
    if (position < 0) throw new QueueFullError(queue, this.options.limits.maxLength)
    return { queue, job, position }
  }

  async claim (queue: string, options: ClaimOptions): Promise<ClaimedJob[]> {
    const attempt = async (): Promise<ClaimedJob[]> => {
      const raw = await this.claims.add(`${options.visibilityMs} ${queue}`, options.max)
      return raw.map(([job, receipt, message, attempt, enqueuedAt]) =>
        ({ job, receipt, message: JSON.parse(message), attempt, enqueuedAt: new Date(Number(enqueuedAt)).toISOString() }))
    }
    const claim = async (): Promise<ClaimedJob[]> => this.wakeups.claim(queue, options, attempt)
    return options.counted === true || options.waitMs === 0 ? claim() : this.consumers.during(queue, claim)
  }

  async ack (queue: string, job: string, receipt: string, result: unknown): Promise<HoldOutcome> {
    return this.acks.add(queue, [job, receipt, JSON.stringify(result) ?? 'null'])
  }

  async nack (queue: string, job: string, receipt: string, error: string | undefined, delayMs: number): Promise<HoldOutcome> {
    return await this.script('nack', [queue, job, receipt, error ?? 'nacked by the worker', delayMs]) as HoldOutcome
  }

  async extend (queue: string, job: string, receipt: string, visibilityMs: number): Promise<HoldOutcome> {
    return await this.script('extend', [queue, job, receipt, visibilityMs]) as HoldOutcome
  }

  async status (queue: string, job: string): Promise<JobStatus | undefined> {
    const raw = await this.script('status', [queue, job]) as [string, number, string, string, number] | null
    if (raw === null) return undefined
    const [state, attempts, result, error, position] = raw
    const status: JobStatus = { queue, job, state: (state === 'delayed' ? 'waiting' : state) as JobState, attempts }
    if (position > 0) status.position = position
    if (state === 'done') status.result = JSON.parse(result)
    else if (error !== '') status.error = error
    return status
  }

  async positions (queue: string, jobs: string[]): Promise<Array<number | null>> {
    const raw = await this.script('positions', [queue, ...jobs]) as number[]
    return raw.map((position) => position === -2 ? null : position)
  }

  async queues (): Promise<string[]> {
    return this.command(async (commands) => commands.zrangebyscore(`${this.options.prefix}queues`, this.now() - this.options.limits.queueTtlMs, '+inf'))
  }

  async stats (queue: string): Promise<QueueStats | undefined> {
    const raw = await this.script('stats', [queue, this.now() - this.options.instanceTtlMs]) as number[] | null
    if (raw === null) return undefined
    const [waiting, active, consumers, enqueued, done, failed, oldest] = raw
    return { queue, waiting, active, consumers, enqueued, done, failed, oldestWaitingMs: oldest === 0 ? 0 : Math.max(0, this.now() - oldest) }
  }

  async failed (queue: string, limit: number): Promise<FailedJob[] | undefined> {
    if (await this.stats(queue) === undefined) return undefined
    const raw = await this.command(async (commands) => commands.lrange(`${this.options.prefix}failed:${queue}`, 0, limit - 1))
    return raw.map((entry) => {
      const job = JSON.parse(entry) as Omit<FailedJob, 'failedAt'> & { failedAt: number }
      return { ...job, failedAt: new Date(job.failedAt).toISOString() }
    })
  }

  async watch (queue: string, job: string, listener: JobListener, placed?: number): Promise<(() => void) | undefined> {
    return this.watchers.watch(queue, job, listener, placed)
  }

  consume (queue: string, consumer: JobConsumer, prefetch: number): Consumption {
    return this.consumptions.start(queue, consumer, prefetch)
  }

  async close (): Promise<void> {
    this.wakeups.close()
    for (const timer of this.timers) clearInterval(timer)
    await this.consumptions.cancelAll()
    this.closed = true
    this.watchers.close()
    await closeRedis(this.options.subscriber)
  }
}
