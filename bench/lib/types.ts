/** What the runner hands a load-generator process, and what it gets back. */

/** The servers compared: proxyer itself, the plain ws floor, Socket.IO, and Nchan (nginx's pub/sub module, in C). */
export type ServerKind = 'proxyer' | 'ws-floor' | 'socketio' | 'nchan'
export const SERVER_KINDS: readonly ServerKind[] = ['proxyer', 'ws-floor', 'socketio', 'nchan']
/** The servers that speak a request/reply protocol over WebSocket (Nchan publishes over HTTP only). */
export const SOCKET_SERVER_KINDS: readonly ServerKind[] = ['proxyer', 'ws-floor', 'socketio']

export type ScenarioName = 'fanout' | 'latency' | 'many-topics' | 'idle' | 'http-publish' | 'cluster' | 'slow-consumer'

export interface Endpoint {
  host: string
  port: number
}

export interface ScenarioParams {
  /** Subscribers per topic (fanout, latency, http-publish, cluster, slow-consumer) or in all (many-topics: per topic). */
  subscribers: number
  topics?: number
  /** Messages a second, for the fixed-rate latency scenario. */
  rate?: number
  /** Idle connections to open. */
  connections?: number
  /** Requests in flight for the HTTP publisher (and replies awaited over WebSocket, to compare alike). */
  concurrency?: number
  /** Publishing connections (throughput scenarios; 1 by default). */
  publishers?: number
  /** Characters of padding in each message. */
  padBytes?: number
}

export interface Durations {
  warmupMs: number
  measureMs: number
}

export interface Task {
  scenario: ScenarioName
  server: ServerKind
  /** The instances to connect to: one, or two in the cluster scenario. */
  endpoints: Endpoint[]
  /** proxyer's plain node:http publish, in the same process as the first instance (http-publish only). */
  httpFloor?: Endpoint
  /** Every server-side process whose CPU time counts (instances, and Redis in the cluster scenario). */
  pids: number[]
  /** Clock ticks a second, for the utime and stime of /proc/PID/stat. */
  clockTicks: number
  params: ScenarioParams
  durations: Durations
}

/** Figures of one scenario on one server; null where a figure does not apply. */
export type Metrics = Record<string, number | string | boolean | null>

export interface TaskResult {
  metrics: Metrics
  notes: string[]
}

export type GeneratorMessage =
  | { type: 'result', result: TaskResult }
  | { type: 'error', error: string }
