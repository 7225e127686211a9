/** The contract every broker implementation (embedded, Redis) fulfils for the routes. */
import type { Position } from '../contract/schemas.js'
import type { Publication } from './publication.js'

/** One receiving end, usually a WebSocket connection. */
export interface Subscriber {
  /**
   * Receives a publication, made once for all subscribers. Returns false when the subscriber
   * is too far behind to take it and is dropped as a slow consumer.
   */
  deliver (publication: Publication): boolean
}

export interface TopicStats {
  topic: string
  subscribers: number
  published: number
  delivered: number
  /** Connections dropped as slow consumers while receiving this topic. */
  slowConsumers: number
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
  /** The message's place in its topic: offsets grow by one per message within an epoch. */
  offset: number
  epoch: string
}

/** Where a topic stands, as a subscriber starts receiving it. */
export interface SubscribeResult {
  offset: number
  epoch: string
  /** With `since`: whether every message after it was replayed; false means the client must reload. */
  recovered?: boolean
}

/** One page of the topic listing: `next` continues after its last topic, null on the last page. */
export interface TopicPage {
  topics: TopicStats[]
  next: string | null
}

export interface TopicPageQuery {
  /** Only names starting with it ('' for all). */
  prefix: string
  /** The last name of the previous page: this page starts after it. */
  after?: string
  limit: number
}

export interface HistoryEntry {
  offset: number
  message: unknown
  publishedAt: string
}

export interface TopicHistory {
  topic: string
  epoch: string
  /** The offset of the topic's last message (0 before any). */
  offset: number
  messages: HistoryEntry[]
}

export interface IdempotencyLimits {
  /** How long a key's first result is kept. */
  ttlMs: number
  /** Keys the embedded broker keeps at most; the oldest go first past it. */
  maxKeys: number
}

export interface HistoryLimits {
  /** Messages kept per topic; 0 keeps none. */
  size: number
  /** How long a message is kept. */
  ttlMs: number
  /** Bytes of frames kept per topic: past it the oldest go first. */
  topicMaxBytes: number
  /** Bytes of frames kept over all topics, by the embedded broker (Redis mode leaves it to maxmemory). */
  maxBytes: number
}

export interface Broker {
  /** False while the broker cannot serve (starting, shutting down, backend down). */
  readonly ready: boolean
  /** Resolves once the broker serves, so an instance starts listening ready. */
  connect (): Promise<void>
  /**
   * Resolves once messages published afterwards will reach the subscriber. With `since`,
   * the messages after it are delivered first, in order, with no gap or duplicate before
   * the live ones. Never fails: made while the backend is away, it takes effect (and the
   * live messages flow) when the backend returns.
   */
  subscribe (topic: string, subscriber: Subscriber, since?: Position): Promise<SubscribeResult>
  /** Never fails: the subscriber is gone locally even when the backend cannot be told. */
  unsubscribe (topic: string, subscriber: Subscriber): Promise<void>
  /**
   * Resolves once messages published afterwards on any topic the pattern matches (`*` one segment,
   * `>` last for one or more) reach the subscriber, once each however many of its subscriptions match.
   * Never fails, as subscribe().
   */
  subscribePattern (pattern: string, subscriber: Subscriber): Promise<void>
  unsubscribePattern (pattern: string, subscriber: Subscriber): Promise<void>
  /**
   * With `key`, a repeat on the same topic within the idempotency TTL publishes nothing and resolves
   * with the first one's result, in the whole cluster.
   */
  publish (topic: string, message: unknown, key?: string): Promise<PublishResult>
  topics (scope?: Scope): Promise<TopicStats[]>
  /** Topics and patterns in name order, a page at a time: each page costs its length, not the number of topics. */
  topicPage (query: TopicPageQuery, scope?: Scope): Promise<TopicPage>
  /** Undefined for a topic with neither subscribers nor messages. */
  topic (topic: string, scope?: Scope): Promise<TopicStats | undefined>
  /**
   * The kept messages after `since` (all without it), at most `limit`, in offset order: the oldest
   * of them, or the newest with `newest`; and no more frames' bytes than `maxBytes` past the first
   * kept (a page: the caller asks again after the last); undefined for an unknown topic.
   */
  history (topic: string, since: number | undefined, limit: number, maxBytes: number, newest?: boolean): Promise<TopicHistory | undefined>
  /** The live instances sharing the topics: just this one for the embedded broker. */
  instances (): Promise<InstanceInfo[]>
  close (): Promise<void>
}

/**
 * Thrown by publish when the message was handed to the backend and no answer came (a command
 * timeout, a connection lost after sending): it may or may not have been published.
 */
export class BrokerOutcomeUnknownError extends Error {
  constructor (reason: string) {
    super(`The message was sent to the broker, which did not answer (${reason}): it may or may not have been published`)
    this.name = 'BrokerOutcomeUnknownError'
  }
}

/** Thrown by publish and subscribe while the broker's backend cannot be reached. */
export class BrokerUnavailableError extends Error {
  constructor (reason: string) {
    super(`The broker cannot be reached: ${reason}`)
    this.name = 'BrokerUnavailableError'
  }
}

/** Thrown by publish when the message would create a topic past MAX_TOPICS. */
export class TooManyTopicsError extends Error {
  constructor (readonly maxTopics: number) {
    super(`There are already ${maxTopics} topics (MAX_TOPICS): a message to a new topic is refused until some expire`)
    this.name = 'TooManyTopicsError'
  }
}

/** Thrown by subscribePattern on a Redis Cluster, whose sharded pub/sub has no subscription that brings every topic. */
export class PatternsUnsupportedError extends Error {
  constructor () {
    super('Patterns (* and >) cannot be subscribed on a Redis Cluster (REDIS_CLUSTER_NODES): subscribe to each topic by its name')
    this.name = 'PatternsUnsupportedError'
  }
}
