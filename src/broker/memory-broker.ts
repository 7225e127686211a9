/** The embedded broker: one process, topics in memory, nothing else to install. */
import type { Broker, InstanceInfo, PublishResult, Subscriber, TopicStats } from './broker.js'
import { TopicRegistry } from './topic-registry.js'
import { publishFrame } from '../protocol.js'

export interface MemoryBrokerOptions {
  /** How long a topic without subscribers keeps its figures after its last message. */
  topicTtlMs: number
  instanceId: string
  /** What this instance reports of itself in instances(). */
  describe: () => { connections: number }
}

export class MemoryBroker implements Broker {
  private readonly registry = new TopicRegistry()
  private readonly sweeper: NodeJS.Timeout
  private readonly startedAt = new Date().toISOString()
  private closed = false

  constructor (private readonly options: MemoryBrokerOptions) {
    this.sweeper = setInterval(() => this.registry.sweep(options.topicTtlMs), Math.min(options.topicTtlMs, 60_000))
    this.sweeper.unref()
  }

  get ready (): boolean {
    return !this.closed
  }

  async subscribe (topic: string, subscriber: Subscriber): Promise<void> {
    this.registry.add(topic, subscriber)
  }

  async unsubscribe (topic: string, subscriber: Subscriber): Promise<void> {
    this.registry.remove(topic, subscriber)
  }

  async publish (topic: string, message: unknown): Promise<PublishResult> {
    const subscribers = this.registry.publish(topic, publishFrame(topic, message))
    return { topic, subscribers }
  }

  async topics (): Promise<TopicStats[]> {
    return this.registry.allStats()
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
}
