/** proxyer's Prometheus metrics: one registry per app, each figure named `proxyer_` with bounded labels only. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** Where a message came in or went out; never a topic or a user (unbounded label values). */
export type Transport = 'ws' | 'http' | 'bridge'

/** What the gauges read at each scrape, so no call site has to keep them up to date. */
export interface LiveState {
  connections: () => number
  /** This instance's topics with their local subscriber counts. */
  topics: () => Promise<Array<{ subscribers: number }>>
  /** Undefined in embedded mode: the gauge is then left out. */
  redisConnected?: () => boolean
}

export interface ProxyerMetrics {
  readonly registry: Registry
  readonly publishes: Counter<'transport'>
  readonly deliveries: Counter<'transport'>
  readonly sentBytes: Counter<'transport'>
  readonly errors: Counter<'code' | 'transport'>
  readonly slowConsumerCuts: Counter
  readonly rateLimited: Counter<'transport'>
  readonly redisCommandSeconds: Histogram<'command'>
  readonly publishToWriteSeconds: Histogram
}

/** Latencies of a broker on one machine or one network hop: 50 µs to 2.5 s. */
const LATENCY_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

export function createMetrics (state: LiveState, options: { defaultMetrics: boolean }): ProxyerMetrics {
  const registry = new Registry()
  const registers = [registry]
  // event-loop lag, CPU, memory, handles: prom-client's own collectors, under the same prefix
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'proxyer_' })

  // the gauges read live state at each scrape; the registry holds them
  registry.registerMetric(new Gauge({
    name: 'proxyer_connections',
    help: 'Open WebSocket connections on this instance',
    registers: [],
    collect () { this.set(state.connections()) }
  }))
  registry.registerMetric(new Gauge({
    name: 'proxyer_subscriptions',
    help: 'Subscriptions held by this instance\'s connections',
    registers: [],
    async collect () { this.set((await state.topics()).reduce((sum, topic) => sum + topic.subscribers, 0)) }
  }))
  registry.registerMetric(new Gauge({
    name: 'proxyer_topics',
    help: 'Topics this instance holds (with local subscribers, or published through it within TOPIC_TTL_SECONDS)',
    registers: [],
    async collect () { this.set((await state.topics()).length) }
  }))
  const { redisConnected } = state
  if (redisConnected !== undefined) {
    registry.registerMetric(new Gauge({
      name: 'proxyer_redis_connected',
      help: '1 while both Redis connections (commands and subscriber) are ready, else 0',
      registers: [],
      collect () { this.set(redisConnected() ? 1 : 0) }
    }))
  }

  return {
    registry,
    publishes: new Counter({ name: 'proxyer_publishes_total', help: 'Messages published, by the transport they came in on', labelNames: ['transport'], registers }),
    deliveries: new Counter({ name: 'proxyer_deliveries_total', help: 'Publish frames handed to subscribers, by the subscribers\' transport', labelNames: ['transport'], registers }),
    sentBytes: new Counter({ name: 'proxyer_sent_bytes_total', help: 'Bytes written to clients, by transport', labelNames: ['transport'], registers }),
    errors: new Counter({ name: 'proxyer_errors_total', help: 'Errors answered to clients, by error code (WebSocket error codes, HTTP error codes)', labelNames: ['code', 'transport'], registers }),
    slowConsumerCuts: new Counter({ name: 'proxyer_slow_consumer_cuts_total', help: 'Connections closed as slow consumers (4008)', registers }),
    rateLimited: new Counter({ name: 'proxyer_rate_limited_total', help: 'Requests refused as over the rate limit', labelNames: ['transport'], registers }),
    redisCommandSeconds: new Histogram({
      name: 'proxyer_redis_command_duration_seconds',
      help: 'Time from writing a Redis command to its reply, by command (scripts run as evalsha)',
      labelNames: ['command'],
      buckets: LATENCY_BUCKETS,
      registers
    }),
    publishToWriteSeconds: new Histogram({
      name: 'proxyer_publish_to_write_seconds',
      help: 'Time from a publish reaching this instance\'s broker to its frame being written to a subscriber\'s socket',
      buckets: LATENCY_BUCKETS,
      registers
    })
  }
}
