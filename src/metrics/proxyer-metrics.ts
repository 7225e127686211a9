/** proxyer's Prometheus metrics: one registry per app, each figure named `proxyer_` with bounded labels only. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { TrafficFigures } from './traffic-figures.js'

/** The work queues' figures summed over every queue (cluster-wide in Redis mode). */
export interface QueueTotals {
  queues: number
  waiting: number
  active: number
  /** Age of the oldest job waiting in any queue, 0 when none waits. */
  oldestWaitingMs: number
}

/** What the gauges read at each scrape, so no call site has to keep them up to date. */
export interface LiveState {
  connections: () => number
  /** This instance's topics with their local subscriber counts. */
  topics: () => Promise<Array<{ subscribers: number }>>
  /** Rejects while the queues' store cannot be read: the gauges then read NaN (unknown), not a stale figure. */
  queues: () => Promise<QueueTotals>
  /** Undefined in embedded mode: the gauge is then left out. */
  redisConnected?: () => boolean
}

export interface ProxyerMetrics {
  readonly registry: Registry
  /** The counts the call sites keep, read by the counters at each scrape. */
  readonly figures: TrafficFigures
  readonly redisCommandSeconds: Histogram<'command'>
}

/** Latencies of a broker on one machine or one network hop: 50 µs to 2.5 s. */
const LATENCY_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

export function createMetrics (state: LiveState, options: { defaultMetrics: boolean }): ProxyerMetrics {
  const registry = new Registry()
  const registers = [registry]
  // event-loop lag, CPU, memory, handles: prom-client's own collectors, under the same prefix
  // the event-loop lag sampled every 100 ms, not prom-client's 10 ms: its timer cost an idle instance 1% of a core
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'proxyer_', eventLoopMonitoringPrecision: 100 })

  const publishToWrite = new Histogram({
    name: 'proxyer_publish_to_write_seconds',
    help: 'Time from a publish being accepted by this instance (in Redis mode: its frame arriving from Redis) to its frame being written to every local subscriber\'s socket',
    buckets: LATENCY_BUCKETS,
    registers
  })
  const figures = new TrafficFigures((seconds) => publishToWrite.observe(seconds))
  registerGauges(registry, state)
  registerCounters(registry, figures)

  return {
    registry,
    figures,
    redisCommandSeconds: new Histogram({
      name: 'proxyer_redis_command_duration_seconds',
      help: 'Time from writing a Redis command to its reply, by command (scripts run as evalsha)',
      labelNames: ['command'],
      buckets: LATENCY_BUCKETS,
      registers
    })
  }
}

/** The gauges read live state at each scrape; the registry holds them. */
function registerGauges (registry: Registry, state: LiveState): void {
  const gauge = (name: string, help: string, collect: (this: Gauge) => void | Promise<void>): void => {
    registry.registerMetric(new Gauge({ name, help, registers: [], collect }))
  }
  gauge('proxyer_connections', 'Open WebSocket connections on this instance', function () { this.set(state.connections()) })
  gauge('proxyer_subscriptions', 'Subscriptions held by this instance\'s connections',
    async function () { this.set((await state.topics()).reduce((sum, topic) => sum + topic.subscribers, 0)) })
  gauge('proxyer_topics', 'Topics this instance holds (with local subscribers, or published through it within TOPIC_TTL_SECONDS)',
    async function () { this.set((await state.topics()).length) })
  // one read of the queues for the four gauges of a scrape
  let reading: Promise<QueueTotals | undefined> | undefined
  const queueFigure = (read: (totals: QueueTotals) => number) => async function (this: Gauge): Promise<void> {
    // the four collectors start in one turn, so they share the read; the next scrape reads afresh
    reading ??= state.queues().catch(() => undefined).finally(() => { reading = undefined })
    const totals = await reading
    this.set(totals === undefined ? NaN : read(totals))
  }
  // summed over every queue: queue names are chosen by clients, so a label per queue would be unbounded; /queues has each
  gauge('proxyer_queues', 'Work queues that exist (cluster-wide in Redis mode)', queueFigure((totals) => totals.queues))
  gauge('proxyer_queue_jobs_waiting', 'Jobs waiting (or delayed) in all work queues (cluster-wide in Redis mode)', queueFigure((totals) => totals.waiting))
  gauge('proxyer_queue_jobs_active', 'Jobs held by a worker in all work queues (cluster-wide in Redis mode)', queueFigure((totals) => totals.active))
  gauge('proxyer_queue_oldest_waiting_seconds', 'Age of the oldest job waiting in any work queue, 0 when none waits (cluster-wide in Redis mode)',
    queueFigure((totals) => totals.oldestWaitingMs / 1000))
  const { redisConnected } = state
  if (redisConnected !== undefined) {
    gauge('proxyer_redis_connected', '1 while both Redis connections (commands and subscriber) are ready, else 0',
      function () { this.set(redisConnected() ? 1 : 0) })
  }
}

/** The counters copy the call sites' plain counts at each scrape. */
function registerCounters (registry: Registry, figures: TrafficFigures): void {
  const counter = <L extends string>(name: string, help: string, labelNames: L[], collect: (this: Counter<L>) => void): void => {
    registry.registerMetric(new Counter<L>({
      name,
      help,
      labelNames,
      registers: [],
      collect () {
        this.reset()
        collect.call(this)
      }
    }))
  }
  counter('proxyer_publishes_total', 'Messages published, by the transport they came in on (ws, http, bridge)', ['transport'], function () {
    for (const [transport, count] of Object.entries(figures.publishes)) this.inc({ transport }, count)
  })
  counter('proxyer_deliveries_total', 'Message frames handed to subscribers, by the subscribers\' transport', ['transport'], function () {
    this.inc({ transport: 'ws' }, figures.wsDeliveries)
  })
  counter('proxyer_sent_bytes_total', 'Bytes written to clients, by transport (WebSocket frames, HTTP reply bodies)', ['transport'], function () {
    for (const [transport, count] of Object.entries(figures.sentBytes)) this.inc({ transport }, count)
  })
  counter('proxyer_errors_total', 'Errors answered to clients, by error code (WebSocket error codes, HTTP error codes)', ['code', 'transport'], function () {
    for (const [transport, counts] of Object.entries(figures.errors)) {
      for (const [code, count] of counts) this.inc({ code, transport }, count)
    }
  })
  counter('proxyer_slow_consumer_cuts_total', 'Connections closed as slow consumers (4008)', [], function () {
    this.inc(figures.slowConsumerCuts)
  })
  counter('proxyer_rate_limited_total', 'Requests refused as over the rate limit, by transport', ['transport'], function () {
    for (const [transport, count] of Object.entries(figures.rateLimited)) this.inc({ transport }, count)
  })
}
