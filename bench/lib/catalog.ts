/** Every scenario variant of the suite, with the servers it runs on and how long it measures. */
import { SERVER_KINDS, SOCKET_SERVER_KINDS, type Durations, type ScenarioName, type ScenarioParams, type ServerKind } from './types.js'

export interface Variant {
  scenario: ScenarioName
  label: string
  params: ScenarioParams
  servers: readonly ServerKind[]
  instances: number
  /** Extra environment for proxyer. */
  proxyerEnv?: Record<string, string>
  /** proxyer also answers POST /publish on plain node:http, beside Fastify (servers/proxyer-http-floor.mjs). */
  proxyerHttpFloor?: boolean
  /** Multiplies the measurement window (latency wants more samples). */
  measureScale?: number
}

export const SCENARIOS: readonly ScenarioName[] = ['fanout', 'latency', 'many-topics', 'idle', 'http-publish', 'cluster', 'slow-consumer']

// Nchan runs the scenarios of issue 16 (fanout, latency, many topics) and idle; its publish is HTTP and it has no cluster of ours
export const CATALOG: readonly Variant[] = [
  ...[100, 1000, 5000].map((subscribers): Variant => ({
    scenario: 'fanout', label: `${subscribers.toLocaleString('en')} subscribers`, params: { subscribers }, servers: SERVER_KINDS, instances: 1
  })),
  ...[50, 100].map((rate): Variant => ({
    scenario: 'latency', label: `${rate} msg/s to 1,000`, params: { subscribers: 1000, rate }, servers: SERVER_KINDS, instances: 1, measureScale: 2
  })),
  { scenario: 'many-topics', label: '1,000 topics x 5', params: { subscribers: 5, topics: 1000 }, servers: SERVER_KINDS, instances: 1 },
  { scenario: 'idle', label: '10,000 connections', params: { subscribers: 0, connections: 10_000 }, servers: SERVER_KINDS, instances: 1 },
  { scenario: 'http-publish', label: 'to 100 subscribers', params: { subscribers: 100, concurrency: 8 }, servers: SOCKET_SERVER_KINDS, instances: 1, proxyerHttpFloor: true },
  // the ws floor has no cluster mode
  { scenario: 'cluster', label: '2 instances, 1,000 subscribers', params: { subscribers: 1000 }, servers: ['proxyer', 'socketio'], instances: 2 },
  // the same with eight publishing connections: shows what one connection's request order costs
  { scenario: 'cluster', label: '2 instances, 1,000 subscribers, 8 publishers', params: { subscribers: 1000, publishers: 8 }, servers: ['proxyer', 'socketio'], instances: 2 },
  {
    scenario: 'slow-consumer',
    label: '100 subscribers + 1 stalled',
    params: { subscribers: 100, padBytes: 1024 },
    servers: SOCKET_SERVER_KINDS,
    instances: 1,
    // a low cut-off reaches the cut within the window; the default (4 MiB) behaves alike, later
    proxyerEnv: { MAX_QUEUED_BYTES: String(1024 * 1024) }
  }
]

/** The fanout the cluster scenario compares itself with. */
export const CLUSTER_REFERENCE = CATALOG.find((v) => v.scenario === 'fanout' && v.params.subscribers === 1000) as Variant

/** Rounds of proxyer's cluster side by side with its embedded fanout; the median ratio is the figure. */
export const CLUSTER_ROUNDS: Record<'full' | 'quick', number> = { full: 5, quick: 3 }

export const DURATIONS: Record<'full' | 'quick', Durations> = {
  full: { warmupMs: 1000, measureMs: 5000 },
  quick: { warmupMs: 500, measureMs: 2000 }
}
