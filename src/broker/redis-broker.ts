/** The cluster broker: instances share topics through Redis pub/sub and report their figures there. */
import { once } from 'node:events'
import type { Redis } from 'ioredis'
import {
  BrokerUnavailableError, type Broker, type InstanceInfo, type PublishResult, type Scope,
  type SubscribeResult, type Subscriber, type TopicHistory, type TopicStats
} from './broker.js'
import { TopicRegistry } from './topic-registry.js'
import { defineScripts, type RawInstance, type RawStats } from './redis-scripts.js'
import type { BridgeRule } from './redis-bridge.js'
import { closeRedis } from './close-redis.js'
import { canCatchUp, newEpoch, type HistoryLimits } from './topic-log.js'
import { FrameBuffer } from './frame-buffer.js'
import { publishFrameHead, type Position } from '../protocol.js'
import { PublishFrame } from '../publish-frame.js'

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
  history: HistoryLimits
  bridge: BridgeRule[]
  /** What this instance reports of itself at each heartbeat. */
  describe: () => { connections: number }
  log: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void }
}

class UnknownTopic extends Error {}

export class RedisBroker implements Broker {
  private readonly registry = new TopicRegistry()
  private readonly commands: Redis
  private readonly subscriber: Redis
  private readonly channelPrefix: string
  private readonly startedAt = Date.now()
  private readonly heartbeat: NodeJS.Timeout
  private pendingFigures: Promise<void> | undefined
  /** SUBSCRIBE commands on their way, so a recovery can wait until its topic's channel is live. */
  private readonly channelsPending = new Map<string, Promise<void>>()
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

  /** Resolves once both connections serve, so an instance starts listening ready. */
  async connect (): Promise<void> {
    if (this.subscriber.status !== 'ready') await once(this.subscriber, 'ready')
  }

  get ready (): boolean {
    return !this.closed && this.commands.status === 'ready' && this.subscriber.status === 'ready'
  }

  async subscribe (topic: string, subscriber: Subscriber, since?: Position): Promise<SubscribeResult> {
    if (since !== undefined) return this.recover(topic, subscriber, since)
    await this.attach(topic, subscriber)
    if (!this.ready) return { offset: 0, epoch: '' }
    const [epoch, offset] = await this.readHistory(topic, 0, 0, true)
    return { offset, epoch }
  }

  /**
   * Live frames are held back while the history is read, then the history after `since`
   * and the held frames go out in offset order, each once, before the subscriber goes live.
   */
  private async recover (topic: string, subscriber: Subscriber, since: Position): Promise<SubscribeResult> {
    if (!this.ready) throw new BrokerUnavailableError('Redis is not connected, so the history cannot be read')
    const held = new FrameBuffer()
    await this.attach(topic, held)
    let epoch: string, offset: number, entries: Array<{ offset: number, frame: string }>
    try {
      [epoch, offset, entries] = await this.readHistory(topic, since.offset, this.options.history.size, true)
      // the history came on the command connection; live messages up to its offset may still be
      // on their way on the subscriber connection: a PING there returns after every one of them
      await this.subscriber.ping()
    } catch (err) {
      this.registry.remove(topic, held)
      throw err
    }
    const recovered = epoch === since.epoch && canCatchUp(since.offset, offset, entries[0]?.offset)
    let last = offset
    if (recovered) {
      for (const entry of entries) subscriber.deliver(PublishFrame.fromText(entry.frame))
      last = entries.at(-1)?.offset ?? since.offset
    }
    held.flushAfter(last, subscriber)
    this.registry.replace(topic, held, subscriber)
    return { offset, epoch, recovered }
  }

  private async attach (topic: string, subscriber: Subscriber): Promise<void> {
    const first = this.registry.add(topic, subscriber)
    // counted in the cluster figures before the client hears it is subscribed
    const counted = this.scheduleFigures()
    // while Redis is away the subscription waits locally; resubscribe() sends it on reconnect
    if (first && this.subscriber.status === 'ready') {
      const channel = this.subscriber.subscribe(this.channelPrefix + topic).then(() => {},
        /* c8 ignore next 3: a SUBSCRIBE lost with its connection; resubscribe() sends it again on reconnect */
        (err) => {
          this.options.log.warn({ err, topic }, 'subscribing failed; retried when Redis reconnects')
        }).finally(() => this.channelsPending.delete(topic))
      this.channelsPending.set(topic, channel)
    }
    await this.channelsPending.get(topic)
    await counted
  }

  async unsubscribe (topic: string, subscriber: Subscriber): Promise<void> {
    this.registry.remove(topic, subscriber)
    this.scheduleFigures()
    if (this.registry.subscriberCount(topic) === 0 && this.subscriber.status === 'ready') {
      await this.subscriber.unsubscribe(this.channelPrefix + topic).catch(() => {})
    }
  }

  async publish (topic: string, message: unknown): Promise<PublishResult> {
    if (!this.ready) throw new BrokerUnavailableError('Redis is not connected')
    const { prefix, topicTtlMs, instanceTtlMs, history } = this.options
    const now = Date.now()
    this.holdCommands()
    try {
      const [subscribers, offset, epoch] = await this.commands.proxyerPublish(
        prefix, topic, publishFrameHead(topic, message), now, topicTtlMs, now - instanceTtlMs, newEpoch(), history.size, history.ttlMs
      )
      return { topic, subscribers, offset, epoch }
    } catch (err) {
      throw new BrokerUnavailableError((err as Error).message)
    }
  }

  /**
   * Sends the commands of this turn to Redis in one write, which it runs in one go: its pub/sub
   * messages then reach every instance in one read each, and each subscriber gets them in one write.
   */
  private holdCommands (): void {
    const stream = this.commands.stream
    if (stream.writableCorked > 0) return
    stream.cork()
    setImmediate(() => stream.uncork())
  }

  async history (topic: string, since: number | undefined, limit: number, newest = false): Promise<TopicHistory | undefined> {
    try {
      const [epoch, offset, entries] = await this.readHistory(topic, since ?? 0, limit, false, newest)
      const messages = entries.map((entry) => ({
        offset: entry.offset,
        message: (JSON.parse(entry.frame) as { message: unknown }).message,
        publishedAt: new Date(entry.at).toISOString()
      }))
      return { topic, epoch, offset, messages }
    } catch (err) {
      if (err instanceof UnknownTopic) return undefined
      throw err
    }
  }

  /** The topic's position and its unexpired kept messages after `since`. */
  private async readHistory (topic: string, since: number, limit: number, subscribing: boolean, newest = false): Promise<[string, number, Array<{ offset: number, frame: string, at: number }>]> {
    const { prefix, topicTtlMs, history } = this.options
    let raw
    try {
      raw = await this.commands.proxyerHistory(prefix, topic, newEpoch(), since, limit, topicTtlMs, subscribing ? 1 : 0, newest ? 1 : 0)
    } catch (err) {
      throw new BrokerUnavailableError((err as Error).message)
    }
    if (raw === null) throw new UnknownTopic()
    const oldest = Date.now() - history.ttlMs
    const entries = raw[2].map(([offset, frame, at]) => ({ offset: Number(offset), frame, at: Number(at) })).filter((entry) => entry.at >= oldest)
    return [raw[0], Number(raw[1]), entries]
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
        .del(`${prefix}instance:${instanceId}`, `${prefix}subs:${instanceId}`, `${prefix}delivered:${instanceId}`, `${prefix}slow:${instanceId}`)
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
    this.registry.publish(topic, new PublishFrame(frame))
  }

  /** A raw message on a bridged channel, taken by the one instance holding the bridge lease. */
  private bridge (source: string, message: Buffer): void {
    const rule = this.options.bridge.find((r) => r.source === source)
    /* c8 ignore next: outside the topic prefix, only the bridge's own channels are subscribed */
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
    const slow = `${prefix}slow:${instanceId}`
    const info = `${prefix}instance:${instanceId}`
    const stats = this.registry.allStats()
    const transaction = this.commands.multi()
      .zadd(`${prefix}instances`, now, instanceId)
      .zremrangebyscore(`${prefix}instances`, '-inf', now - 10 * instanceTtlMs)
      .hset(info, { connections: this.options.describe().connections, startedAt: this.startedAt })
      .del(subs, delivered, slow)
    const live = stats.filter((s) => s.subscribers > 0)
    if (live.length > 0) transaction.hset(subs, Object.fromEntries(live.map((s) => [s.topic, s.subscribers])))
    if (stats.length > 0) transaction.hset(delivered, Object.fromEntries(stats.map((s) => [s.topic, s.delivered])))
    const cut = stats.filter((s) => s.slowConsumers > 0)
    if (cut.length > 0) transaction.hset(slow, Object.fromEntries(cut.map((s) => [s.topic, s.slowConsumers])))
    for (const key of [info, subs, delivered, slow]) transaction.pexpire(key, instanceTtlMs)
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
        stats = { topic, subscribers: 0, published: 0, delivered: 0, slowConsumers: 0, lastPublishedAt: null }
        byTopic.set(topic, stats)
      }
      return stats
    }
    for (const [topic, published, lastPublishedAt] of stats) {
      Object.assign(entry(topic), { published: Number(published), lastPublishedAt: new Date(Number(lastPublishedAt)).toISOString() })
    }
    for (const [, , , , subs, delivered, slow] of instances) {
      for (let i = 0; i < subs.length; i += 2) entry(subs[i]).subscribers += Number(subs[i + 1])
      for (let i = 0; i < delivered.length; i += 2) entry(delivered[i]).delivered += Number(delivered[i + 1])
      for (let i = 0; i < slow.length; i += 2) entry(slow[i]).slowConsumers += Number(slow[i + 1])
    }
    // a topic counts while it has subscribers or messages, as in the embedded broker
    return [...byTopic.values()].filter((s) => s.subscribers > 0 || s.published > 0)
  }
}
