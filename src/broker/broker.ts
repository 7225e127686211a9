/** The contract every broker implementation (embedded, Redis) fulfils for the routes. */

/** One receiving end, usually a WebSocket connection. */
export interface Subscriber {
  /** Receives a publish frame, already serialized once for all subscribers. */
  deliver (frame: Buffer): void
}

export interface TopicStats {
  topic: string
  subscribers: number
  published: number
  delivered: number
  lastPublishedAt: string | null
}

/** Figures of the whole cluster, or of this instance alone. */
export type Scope = 'cluster' | 'local'

export interface InstanceInfo {
  id: string
  /** True for the instance that answers. */
  self: boolean
  connections: number
  startedAt: string
  lastSeenAt: string
}

export interface PublishResult {
  topic: string
  /** How many subscribers the message was handed to. */
  subscribers: number
}

export interface Broker {
  /** False while the broker cannot serve (starting, shutting down, backend down). */
  readonly ready: boolean
  /**
   * Resolves once messages published afterwards will reach the subscriber. Never fails:
   * made while the backend is away, it takes effect when the backend returns.
   */
  subscribe (topic: string, subscriber: Subscriber): Promise<void>
  /** Never fails: the subscriber is gone locally even when the backend cannot be told. */
  unsubscribe (topic: string, subscriber: Subscriber): Promise<void>
  publish (topic: string, message: unknown): Promise<PublishResult>
  topics (scope?: Scope): Promise<TopicStats[]>
  /** Undefined for a topic with neither subscribers nor messages. */
  topic (topic: string, scope?: Scope): Promise<TopicStats | undefined>
  /** The live instances sharing the topics: just this one for the embedded broker. */
  instances (): Promise<InstanceInfo[]>
  close (): Promise<void>
}

/** Thrown by publish and subscribe while the broker's backend cannot be reached. */
export class BrokerUnavailableError extends Error {
  constructor (reason: string) {
    super(`The broker cannot be reached: ${reason}`)
    this.name = 'BrokerUnavailableError'
  }
}
