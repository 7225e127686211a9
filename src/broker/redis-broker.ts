/** The cluster broker: instances share topics through Redis pub/sub and report their figures there. */
import type { Redis } from 'ioredis'
import { BrokerUnavailableError, type Broker, type InstanceInfo, type PublishResult, type Scope, type Subscriber, type TopicStats } from './broker.js'
import { TopicRegistry } from './topic-registry.js'
import { defineScripts, type RawInstance, type RawStats } from './redis-scripts.js'
import type { BridgeRule } from './redis-bridge.js'
import { closeRedis } from './close-redis.js'
import { publishFrame } from '../protocol.js'

export interface RedisBrokerOptions {
  /** For commands and publishes. */
  commands: Redis
  /** For SUBSCRIBE only; the broker owns it and closes it. */
  subscriber: Redis
  prefix: string
  instanceId: string
  /** An instance not heard from for this long drops out of the figures; heartbeats come 3 times as often. */
  instanceTtlMs: number
  topicTtlMs: number
  bridge: BridgeRule[]
  /** What this instance reports of itself at each heartbeat. */
  describe: () => { connections: number }
  log: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void }
}

export class RedisBroker implements Broker {
  private readonly registry = new TopicRegistry()
  private readonly commands: Redis
  private readonly subscriber: Redis
  private readonly channelPrefix: string
  private readonly startedAt = Date.now()
  private readonly heartbeat: NodeJS.Timeout
  private pendingFigures: Promise<void> | undefined
  private bridgeLeader = false
  private closed = false

  constructor (private readonly options: RedisBrokerOptions) {
    this.commands = options.commands
    this.subscriber = options.subscriber
    this.channelPrefix = `${options.prefix}topic:`
    defineScripts(this.commands)

    this.subscriber.on('messageBuffer', (channel: Buffer, frame: Buffer) => this.receive(channel.toString(), frame))
    this.subscriber.on('pmessageBuffer', (pattern: Buffer, channel: Buffer, message: Buffer) => this.bridge(pattern.toString(), message))
    this.subscriber.on('ready', () => { this.resubscribe().catch((err) => this.options.log.warn({ err }, 'resubscribing failed')) })
    this.commands.on('ready', () => { this.scheduleFigures() })
    // ioredis reconnects by itself; an outage is logged once per connection, not at every retry
    for (const [name, client] of [['commands', this.commands], ['subscriber', this.subscriber]] as const) {
      let down = false
      client.on('error', (err) => {
        if (!down) this.options.log.warn({ err, connection: name }, 'Redis connection lost; retrying')
        down = true
      })
      client.on('ready', () => { down = false })
    }

    this.heartbeat = setInterval(() => this.beat(), Math.max(50, Math.floor(options.instanceTtlMs / 3)))
    this.heartbeat.unref()
    this.beat()
  }

  get ready (): boolean {
    return !this.closed && this.commands.status === 'ready' && this.subscriber.status === 'ready'
  }

  async subscribe (topic: string, subscriber: Subscriber): Promise<void> {
    const first = this.registry.add(topic, subscriber)
    // counted in the cluster figures before the client hears it is subscribed
    const counted = this.scheduleFigures()
    // while Redis is away the subscription waits locally; resubscribe() sends it on reconnect
    if (first && this.subscriber.status === 'ready') {
      await this.subscriber.subscribe(this.channelPrefix + topic).catch((err) => {
        this.options.log.warn({ err, topic }, 'subscribing failed; retried when Redis reconnects')
      })
    }
    await counted
  }

  async unsubscribe (topic: string, subscriber: Subscriber): Promise<void> {
    if (!this.registry.remove(topic, subscriber)) return
    this.scheduleFigures()
    if (this.registry.subscriberCount(topic) === 0 && this.subscriber.status === 'ready') {
      await this.subscriber.unsubscribe(this.channelPrefix + topic).catch(() => {})
    }
  }

  async publish (topic: string, message: unknown): Promise<PublishResult> {
    if (!this.ready) throw new BrokerUnavailableError('Redis is not connected')
    const now = Date.now()
    try {
      const subscribers = await this.commands.proxyerPublish(
        this.options.prefix, topic, publishFrame(topic, message), now, this.options.topicTtlMs, now - this.options.instanceTtlMs
      )
      return { topic, subscribers }
    } catch (err) {
      throw new BrokerUnavailableError((err as Error).message)
    }
  }

  async topics (scope: Scope = 'cluster'): Promise<TopicStats[]> {
    if (scope === 'local') return this.registry.allStats()
    return this.clusterStats('')
  }

  async topic (topic: string, scope: Scope = 'cluster'): Promise<TopicStats | undefined> {
    if (scope === 'local') return this.registry.stats(topic)
    return (await this.clusterStats(topic))[0]
  }

  async instances (): Promise<InstanceInfo[]> {
    const [instances] = await this.figures('')
    return instances.map(([id, connections, startedAt, lastSeenAt]) => ({
      id,
      self: id === this.options.instanceId,
      connections: Number(connections),
      startedAt: new Date(Number(startedAt)).toISOString(),
      lastSeenAt: new Date(Number(lastSeenAt)).toISOString()
    }))
  }

  async close (): Promise<void> {
    this.closed = true
    clearInterval(this.heartbeat)
    const { prefix, instanceId } = this.options
    if (this.commands.status === 'ready') {
      // leave the figures at once rather than after the instance TTL
      await this.commands.multi()
        .zrem(`${prefix}instances`, instanceId)
        .del(`${prefix}instance:${instanceId}`, `${prefix}subs:${instanceId}`, `${prefix}delivered:${instanceId}`)
        .exec()
        .catch(() => {})
    }
    await closeRedis(this.subscriber)
  }

  private receive (channel: string, frame: Buffer): void {
    if (!channel.startsWith(this.channelPrefix)) {
      this.bridge(channel, frame)
      return
    }
    const topic = channel.slice(this.channelPrefix.length)
    // the last local subscriber may have left while the message was on its way
    if (this.registry.subscriberCount(topic) === 0) return
    this.registry.publish(topic, frame)
  }

  /** A raw message on a bridged channel, taken by the one instance holding the bridge lease. */
  private bridge (source: string, message: Buffer): void {
    const rule = this.options.bridge.find((r) => r.source === source)
    if (rule === undefined) return
    this.publish(rule.topic, message.toString()).catch((err) => {
      this.options.log.warn({ err, source, topic: rule.topic }, 'a bridged message was lost')
    })
  }

  private async resubscribe (): Promise<void> {
    const channels = this.registry.subscribedTopics().map((topic) => this.channelPrefix + topic)
    if (channels.length > 0) await this.subscriber.subscribe(...channels)
    this.bridgeLeader = false
    await this.renewBridgeLease()
    this.options.log.info({ topics: channels.length }, 'subscribed to Redis')
  }

  /** One instance relays the bridge, so each bridged message is published, counted and ordered once. */
  private async renewBridgeLease (): Promise<void> {
    const { bridge, prefix, instanceId, instanceTtlMs } = this.options
    if (bridge.length === 0 || this.subscriber.status !== 'ready') return
    const leader = await this.commands.proxyerLease(`${prefix}bridge-lease`, instanceId, instanceTtlMs) === 1
    if (leader === this.bridgeLeader) return
    this.bridgeLeader = leader
    const channels = bridge.filter((r) => !r.pattern).map((r) => r.source)
    const patterns = bridge.filter((r) => r.pattern).map((r) => r.source)
    if (leader) {
      if (channels.length > 0) await this.subscriber.subscribe(...channels)
      if (patterns.length > 0) await this.subscriber.psubscribe(...patterns)
    } else {
      if (channels.length > 0) await this.subscriber.unsubscribe(...channels)
      if (patterns.length > 0) await this.subscriber.punsubscribe(...patterns)
    }
    this.options.log.info({ leader }, 'bridge lease changed')
  }

  private beat (): void {
    this.registry.sweep(this.options.topicTtlMs)
    if (this.commands.status !== 'ready') return
    this.writeFigures()
    this.renewBridgeLease().catch((err) => this.options.log.warn({ err }, 'renewing the bridge lease failed'))
  }

  /** Subscriber counts change in bursts; one write per event-loop turn carries them all. */
  private scheduleFigures (): Promise<void> {
    this.pendingFigures ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.pendingFigures = undefined
      return this.writeFigures()
    })
    return this.pendingFigures
  }

  private async writeFigures (): Promise<void> {
    if (this.closed || this.commands.status !== 'ready') return
    const { prefix, instanceId, instanceTtlMs } = this.options
    const now = Date.now()
    const subs = `${prefix}subs:${instanceId}`
    const delivered = `${prefix}delivered:${instanceId}`
    const info = `${prefix}instance:${instanceId}`
    const stats = this.registry.allStats()
    const transaction = this.commands.multi()
      .zadd(`${prefix}instances`, now, instanceId)
      .zremrangebyscore(`${prefix}instances`, '-inf', now - 10 * instanceTtlMs)
      .hset(info, { connections: this.options.describe().connections, startedAt: this.startedAt })
      .del(subs, delivered)
    const live = stats.filter((s) => s.subscribers > 0)
    if (live.length > 0) transaction.hset(subs, Object.fromEntries(live.map((s) => [s.topic, s.subscribers])))
    if (stats.length > 0) transaction.hset(delivered, Object.fromEntries(stats.map((s) => [s.topic, s.delivered])))
    for (const key of [info, subs, delivered]) transaction.pexpire(key, instanceTtlMs)
    await transaction.exec().catch((err) => this.options.log.warn({ err }, 'writing the cluster figures failed'))
  }

  private async figures (only: string): Promise<[RawInstance[], RawStats[]]> {
    const now = Date.now()
    try {
      return await this.commands.proxyerFigures(this.options.prefix, now - this.options.instanceTtlMs, now - this.options.topicTtlMs, only)
    } catch (err) {
      throw new BrokerUnavailableError((err as Error).message)
    }
  }

  private async clusterStats (only: string): Promise<TopicStats[]> {
    const [instances, stats] = await this.figures(only)
    const byTopic = new Map<string, TopicStats>()
    const entry = (topic: string): TopicStats => {
      let stats = byTopic.get(topic)
      if (stats === undefined) {
        stats = { topic, subscribers: 0, published: 0, delivered: 0, lastPublishedAt: null }
        byTopic.set(topic, stats)
      }
      return stats
    }
    for (const [topic, published, lastPublishedAt] of stats) {
      Object.assign(entry(topic), { published: Number(published), lastPublishedAt: lastPublishedAt === null ? null : new Date(Number(lastPublishedAt)).toISOString() })
    }
    for (const [, , , , subs, delivered] of instances) {
      for (let i = 0; i < subs.length; i += 2) entry(subs[i]).subscribers += Number(subs[i + 1])
      for (let i = 0; i < delivered.length; i += 2) entry(delivered[i]).delivered += Number(delivered[i + 1])
    }
    // a topic counts while it has subscribers or messages, as in the embedded broker
    return [...byTopic.values()].filter((s) => s.subscribers > 0 || s.published > 0)
  }
}
