/** The embedded broker: one process, topics and their history in memory, nothing else to install. */
import {
  TooManyTopicsError, type Broker, type HistoryLimits, type IdempotencyLimits, type InstanceInfo, type PublishResult, type SubscribeResult,
  type Subscriber, type TopicHistory, type TopicPage, type TopicPageQuery, type TopicStats
} from './broker.js'
import { TopicRegistry } from './topic-registry.js'
import { IdempotencyKeys } from './idempotency-keys.js'
import { topicPage } from './topic-page.js'
import { TopicLog, toHistoryEntry } from './topic-log.js'
import { Epochs } from './position.js'
import { Publication } from './publication.js'
import { publishFrameHead, publishFrameTail } from '../contract/frames.js'
import type { Position } from '../contract/schemas.js'

export interface MemoryBrokerOptions {
  /** How long a topic without subscribers keeps its figures after its last message. */
  topicTtlMs: number
  history: HistoryLimits
  idempotency: IdempotencyLimits
  /** Topics held at most (MAX_TOPICS): a message to one more is refused; unset, no cap. */
  maxTopics?: number
  instanceId: string
  /** What this instance reports of itself in instances(). */
  describe: () => { connections: number }
}

export class MemoryBroker implements Broker {
  private readonly registry = new TopicRegistry()
  private readonly logs = new Map<string, TopicLog>()
  private readonly epochs = new Epochs()
  private readonly keys: IdempotencyKeys<PublishResult>
  private readonly sweeper: NodeJS.Timeout
  private readonly startedAt = new Date().toISOString()
  /** Bytes every topic's history keeps, held under HISTORY_MAX_BYTES. */
  private historyBytes = 0
  private closed = false

  constructor (private readonly options: MemoryBrokerOptions) {
    this.keys = new IdempotencyKeys(options.idempotency)
    this.sweeper = setInterval(() => this.sweep(), Math.min(options.topicTtlMs, 60_000))
    this.sweeper.unref()
  }

  get ready (): boolean {
    return !this.closed
  }

  /** Serves at once: nothing to connect to. */
  async connect (): Promise<void> {}

  /** Runs in one synchronous step, so no message can fall between the replay and the live ones. */
  async subscribe (topic: string, subscriber: Subscriber, since?: Position): Promise<SubscribeResult> {
    const log = this.log(topic)
    const position = { offset: log.offset, epoch: log.epoch }
    this.registry.add(topic, subscriber)
    if (since === undefined) return position
    const recovered = since.epoch === log.epoch && log.holdsAfter(since.offset)
    if (recovered) this.registry.replay(topic, log.after(since.offset).map((entry) => entry.publication), subscriber)
    return { ...position, recovered }
  }

  async unsubscribe (topic: string, subscriber: Subscriber): Promise<void> {
    this.registry.remove(topic, subscriber)
    // a topic only ever subscribed leaves nothing behind
    if (this.registry.subscriberCount(topic) === 0 && this.logs.get(topic)?.offset === 0) this.logs.delete(topic)
  }

  async subscribePattern (pattern: string, subscriber: Subscriber): Promise<void> {
    this.registry.add(pattern, subscriber)
  }

  async unsubscribePattern (pattern: string, subscriber: Subscriber): Promise<void> {
    this.registry.remove(pattern, subscriber)
  }

  /** Runs in one synchronous step, so two publishes with one key cannot both find it unused. */
  async publish (topic: string, message: unknown, key?: string): Promise<PublishResult> {
    const earlier = key === undefined ? undefined : this.keys.get(topic, key)
    if (earlier !== undefined) return earlier
    const { maxTopics = Infinity } = this.options
    if (this.logs.size >= maxTopics && !this.logs.has(topic)) throw new TooManyTopicsError(maxTopics)
    const log = this.log(topic)
    const offset = log.offset + 1
    const at = Date.now()
    const publication = Publication.fromText(publishFrameHead(topic, message) + publishFrameTail(offset, log.epoch))
    this.historyBytes += log.append({ offset, publication, message, at })
    if (this.historyBytes > this.options.history.maxBytes) this.trimHistory()
    const subscribers = this.registry.publish(topic, publication, at)
    const result = { topic, subscribers, offset, epoch: log.epoch }
    if (key !== undefined) this.keys.remember(topic, key, result, at)
    return result
  }

  async history (topic: string, since: number | undefined, limit: number, maxBytes: number, newest = false): Promise<TopicHistory | undefined> {
    const log = this.logs.get(topic)
    if (log === undefined) return undefined
    const kept = newest ? log.after(since ?? 0).slice(-limit).reverse() : log.after(since ?? 0, limit)
    // bytes are counted from the end the page keeps: the newest with `newest`, the oldest otherwise
    let bytes = 0
    const page = kept.filter((entry, i) => (bytes += entry.publication.payload.length) <= maxBytes || i === 0)
    const messages = (newest ? page.reverse() : page).map(toHistoryEntry)
    return { topic, epoch: log.epoch, offset: log.offset, messages }
  }

  async topics (): Promise<TopicStats[]> {
    return this.registry.allStats()
  }

  async topicPage (query: TopicPageQuery): Promise<TopicPage> {
    return topicPage(query, (after, limit) => this.registry.page(query.prefix, after, limit))
  }

  async topic (topic: string): Promise<TopicStats | undefined> {
    return this.registry.stats(topic)
  }

  async instances (): Promise<InstanceInfo[]> {
    const { instanceId: id, describe } = this.options
    return [{ id, self: true, connections: describe().connections, startedAt: this.startedAt, lastSeenAt: new Date().toISOString() }]
  }

  async close (): Promise<void> {
    this.closed = true
    clearInterval(this.sweeper)
  }

  private log (topic: string): TopicLog {
    let log = this.logs.get(topic)
    if (log === undefined) {
      log = new TopicLog(this.options.history, this.epochs.next())
      this.logs.set(topic, log)
    }
    return log
  }

  /** Past the total bound, the topics created first lose their oldest messages first. */
  private trimHistory (): void {
    for (const log of this.logs.values()) {
      while (log.bytes > 0 && this.historyBytes > this.options.history.maxBytes) this.historyBytes -= log.trimOldest()
      if (this.historyBytes <= this.options.history.maxBytes) break
    }
  }

  /** Forgets idle topics nobody listens to; a topic seen again starts a new epoch. */
  private sweep (now = Date.now()): void {
    const { topicTtlMs, history } = this.options
    this.registry.sweep(topicTtlMs, now)
    for (const [topic, log] of this.logs) {
      if (this.registry.subscriberCount(topic) === 0 && log.touchedAt < now - Math.max(topicTtlMs, history.ttlMs)) {
        this.historyBytes -= log.bytes
        this.logs.delete(topic)
      }
    }
  }
}
