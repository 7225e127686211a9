/**
 * The cluster broker: instances share topics through Redis pub/sub (sharded pub/sub on a Redis Cluster),
 * and a subscriber can recover what it missed from Redis.
 */
import { once } from 'node:events'
import { Cluster } from 'ioredis'
import {
  BrokerOutcomeUnknownError, BrokerUnavailableError, PatternsUnsupportedError, TooManyTopicsError, type Broker, type HistoryLimits, type IdempotencyLimits, type InstanceInfo,
  type PublishResult, type Scope, type SubscribeResult, type Subscriber, type TopicHistory, type TopicPage, type TopicPageQuery, type TopicStats
} from '../broker.js'
import { TopicRegistry } from '../topic-registry.js'
import { PublicationBuffer } from '../publication-buffer.js'
import { Publication } from '../publication.js'
import { canCatchUp, Epochs } from '../position.js'
import { publishFrameHead, publishFramePosition, resumedFrame } from '../../contract/frames.js'
import type { Position } from '../../contract/schemas.js'
import { defineScripts, type RawPublished, type RedisClient } from './scripts.js'
import { TurnBatches, TurnWrites } from './turn-batches.js'
import { forEachFrame } from './channel-message.js'
import { RedisKeys } from './keys.js'
import { ClusterFigures } from './cluster-figures.js'
import { BridgeRelay } from './bridge-relay.js'
import type { BridgeRule } from './bridge.js'
import { closeRedis } from './close-redis.js'
import { topicPage } from '../topic-page.js'
import { readTopicPage } from './topic-page.js'
import { RedisProbe } from './redis-probe.js'

export interface RedisBrokerOptions {
  /** For commands and publishes: one Redis, or a Redis Cluster client. */
  commands: RedisClient
  /** For SUBSCRIBE (SSUBSCRIBE on a Redis Cluster, with ioredis' sharded subscribers) only; the broker owns it and closes it. */
  subscriber: RedisClient
  /**
   * For the readiness PING only; the broker owns it and closes it. On the command connection a PING
   * would wait behind a burst of publishes, and a busy Redis would pass for a frozen one. Without a command
   * timeout: the probe judges the wait itself (redis-probe.ts).
   */
  probe: RedisClient
  prefix: string
  instanceId: string
  /** An instance not heard from for this long drops out of the figures; heartbeats come 3 times as often. */
  instanceTtlMs: number
  topicTtlMs: number
  history: HistoryLimits
  idempotency: IdempotencyLimits
  /** Topics with recent messages, at most, in the whole cluster (MAX_TOPICS): a message to one more is refused. */
  maxTopics: number
  bridge: BridgeRule[]
  /** Called for each bridged message published (the publishes metric by transport). */
  countBridged: () => void
  /** Redis counts as not answering once a health PING waits this long: /ready turns 503 and publishes are refused. */
  probeTimeoutMs: number
  /** What this instance reports of itself at each heartbeat. */
  describe: () => { connections: number }
  log: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void }
}

class UnknownTopic extends Error {}

export class RedisBroker implements Broker {
  private readonly registry = new TopicRegistry()
  private readonly epochs = new Epochs()
  private readonly commands: RedisClient
  private readonly subscriber: RedisClient
  /** A Redis Cluster: frames travel on sharded pub/sub (SPUBLISH, SSUBSCRIBE), which has no patterns. */
  private readonly sharded: boolean
  private readonly keys: RedisKeys
  private readonly figures: ClusterFigures
  private readonly bridge: BridgeRelay
  private readonly heartbeat: NodeJS.Timeout
  private readonly probe: RedisProbe
  /** SUBSCRIBE commands on their way, so a recovery can wait until its topic's channel is live. */
  private readonly channelsPending = new Map<string, Promise<void>>()
  /**
   * While a pattern is subscribed here, every topic's frames come on this one PSUBSCRIBE and are routed
   * by the registry's pattern tree: one pattern in Redis per instance, whatever the patterns here.
   */
  private readonly everyTopic: string
  private everyTopicPending: Promise<void> | undefined
  /** The last position handed to this instance's subscribers, per topic: where a catch-up starts. */
  private readonly delivered = new Map<string, Position>()
  /** Live frames held per topic while it catches up after the subscriber connection came back. */
  private readonly catchingUp = new Map<string, Publication[]>()
  /** The publishes to each topic in one turn, one script call for them (publish.lua). */
  private readonly publishes = new TurnBatches<{ head: string, key: string | undefined }, RawPublished>(
    // a Redis Cluster client pipelines each node's commands of a turn itself (enableAutoPipelining)
    new TurnWrites(() => this.commands instanceof Cluster ? undefined : this.commands.stream),
    async (topic, batch) => this.publishBatch(topic, batch)
  )

  private closed = false

  constructor (private readonly options: RedisBrokerOptions) {
    const { commands, subscriber, instanceId, instanceTtlMs, log } = options
    this.commands = commands
    this.subscriber = subscriber
    this.keys = new RedisKeys(options.prefix)
    this.sharded = commands instanceof Cluster
    this.everyTopic = `${this.keys.channelPrefix}*`
    this.probe = new RedisProbe(options.probe, options.probeTimeoutMs)
    defineScripts(commands)
    this.figures = new ClusterFigures({ ...options, keys: this.keys, registry: this.registry })
    this.bridge = new BridgeRelay({
      rules: options.bridge,
      commands,
      subscriber,
      leaseKey: this.keys.bridgeLease,
      instanceId,
      leaseTtlMs: instanceTtlMs,
      publish: async (topic, message) => {
        await this.publish(topic, message)
        options.countBridged()
      },
      log
    })

    subscriber.on('messageBuffer', (channel: Buffer, frame: Buffer) => this.receive(channel.toString(), frame))
    subscriber.on('smessageBuffer', (channel: Buffer, frame: Buffer) => this.receive(channel.toString(), frame))
    subscriber.on('pmessageBuffer', (pattern: Buffer, channel: Buffer, message: Buffer) => {
      const source = pattern.toString()
      if (source === this.everyTopic) this.receiveForPatterns(channel.toString(), message)
      else this.bridge.relay(source, message)
    })
    subscriber.on('ready', () => { this.resubscribe().catch((err) => log.warn({ err }, 'resubscribing failed')) })
    commands.on('ready', () => { this.figures.schedule() })
    // ioredis reconnects by itself; an outage is logged once per connection, not at every retry
    for (const [name, client] of [['commands', commands], ['subscriber', subscriber], ['probe', options.probe]] as const) {
      let down = false
      client.on('error', (err) => {
        if (!down) log.warn({ err, connection: name }, 'Redis connection lost; retrying')
        down = true
      })
      client.on('ready', () => { down = false })
    }

    this.heartbeat = setInterval(() => this.beat(), Math.max(50, Math.floor(instanceTtlMs / 3)))
    this.heartbeat.unref()
    this.beat()
  }

  /** Resolves once both connections serve, so an instance starts listening ready. */
  async connect (): Promise<void> {
    if (this.subscriber.status !== 'ready') await once(this.subscriber, 'ready')
  }

  get ready (): boolean {
    return !this.closed && this.commands.status === 'ready' && this.subscriber.status === 'ready' && this.probe.answering
  }

  async subscribe (topic: string, subscriber: Subscriber, since?: Position): Promise<SubscribeResult> {
    if (since !== undefined) return this.recover(topic, subscriber, since)
    await this.attach(topic, subscriber)
    if (!this.ready) return { offset: 0, epoch: '' }
    const [epoch, offset] = await this.readHistory(topic, 0, 0, true)
    this.startsAt(topic, { offset, epoch })
    return { offset, epoch }
  }

  /**
   * Live publications are held back while the history is read, then the history after `since`
   * and the held publications go out in offset order, each once, before the subscriber goes live.
   */
  private async recover (topic: string, subscriber: Subscriber, since: Position): Promise<SubscribeResult> {
    if (!this.ready) throw new BrokerUnavailableError('Redis is not connected, so the history cannot be read')
    const held = new PublicationBuffer()
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
      this.registry.replay(topic, entries.map((entry) => Publication.fromText(entry.frame)), subscriber)
      last = entries.at(-1)?.offset ?? since.offset
    }
    held.flushAfter(last, subscriber)
    this.registry.replace(topic, held, subscriber)
    this.startsAt(topic, { offset, epoch })
    return { offset, epoch, recovered }
  }

  private async attach (topic: string, subscriber: Subscriber): Promise<void> {
    const first = this.registry.add(topic, subscriber)
    // counted in the cluster figures before the client hears it is subscribed
    this.figures.counts.note(topic)
    const counted = this.figures.schedule()
    // while Redis is away the subscription waits locally; resubscribe() sends it on reconnect
    if (first && this.subscriber.status === 'ready') {
      const channel = this.channelCommand('subscribe', [topic]).then(() => {},
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
    this.figures.counts.note(topic)
    this.figures.schedule()
    if (this.registry.subscriberCount(topic) === 0) this.delivered.delete(topic)
    if (this.registry.subscriberCount(topic) === 0 && this.subscriber.status === 'ready') {
      // never fails (see Broker): a channel left subscribed only brings messages receive() drops
      await this.channelCommand('unsubscribe', [topic]).catch(() => {})
    }
  }

  async subscribePattern (pattern: string, subscriber: Subscriber): Promise<void> {
    // sharded pub/sub carries each topic on its own shard: no one subscription brings every topic
    if (this.sharded) throw new PatternsUnsupportedError()
    const first = !this.registry.hasPatterns
    this.registry.add(pattern, subscriber)
    const counted = this.figures.schedule()
    if (first && this.subscriber.status === 'ready') {
      const pending = this.subscriber.psubscribe(this.everyTopic).then(() => {},
        /* c8 ignore next 3: a PSUBSCRIBE lost with its connection; resubscribe() sends it again on reconnect */
        (err) => {
          this.options.log.warn({ err }, 'subscribing to every topic for patterns failed; retried when Redis reconnects')
        }).finally(() => { this.everyTopicPending = undefined })
      this.everyTopicPending = pending
    }
    await this.everyTopicPending
    await counted
  }

  async unsubscribePattern (pattern: string, subscriber: Subscriber): Promise<void> {
    this.registry.remove(pattern, subscriber)
    this.figures.schedule()
    if (!this.registry.hasPatterns && this.subscriber.status === 'ready') {
      // never fails (see Broker): left subscribed, it only brings frames no pattern here matches
      await this.subscriber.punsubscribe(this.everyTopic).catch(() => {})
    }
  }

  /**
   * publish.lua assigns the position, keeps and publishes the frame completed with it; with a key, once per
   * TTL. The publishes to a topic in one turn go in one script call (TurnBatches).
   */
  async publish (topic: string, message: unknown, key?: string): Promise<PublishResult> {
    if (!this.ready) throw new BrokerUnavailableError('Redis is not connected')
    const now = Date.now()
    const reply = await this.publishes.add(topic, { head: publishFrameHead(topic, message), key })
    // publish.lua answers 0 alone when the topic would be one too many
    if (reply.length === 1) throw new TooManyTopicsError(this.options.maxTopics)
    const [subscribers, offset, epoch, isNew] = reply
    // a repeat under an idempotency key (three fields) published nothing
    if (isNew !== undefined) this.figures.notePublished(topic, now, isNew === 1)
    return { topic, subscribers, offset, epoch }
  }

  private async publishBatch (topic: string, batch: Array<{ head: string, key: string | undefined }>): Promise<RawPublished[]> {
    const { topicTtlMs, history, idempotency, maxTopics } = this.options
    const keys = this.keys
    try {
      return await this.commands.proxyerPublish(
        keys.stats(topic), keys.history(topic), keys.topicSubs(topic), keys.channel(topic),
        Date.now(), topicTtlMs, this.epochs.next(), history.size, history.ttlMs, this.sharded ? 'SPUBLISH' : 'PUBLISH',
        this.figures.mayAddTopic(maxTopics) ? 1 : 0, idempotency.ttlMs, history.topicMaxBytes,
        ...batch.flatMap((publish) => [publish.head, publish.key === undefined ? '' : keys.idempotency(topic, publish.key)]))
    } catch (err) {
      throw publishFailure(err as Error)
    }
  }

  async history (topic: string, since: number | undefined, limit: number, maxBytes: number, newest = false): Promise<TopicHistory | undefined> {
    try {
      const [epoch, offset, entries] = await this.readHistory(topic, since ?? 0, limit, false, maxBytes, newest)
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

  /** The topic's position and its unexpired kept messages after `since` (history.lua). */
  /** `maxBytes` bounds the frames' bytes past the first; 0 does not. */
  /** `lostEpoch`: offsets of that epoch were given again; a topic still behind `since` in it gets a new epoch (history.lua). */
  private async readHistory (topic: string, since: number, limit: number, subscribing: boolean, maxBytes = 0, newest = false, lostEpoch = ''): Promise<[string, number, Array<{ offset: number, frame: string, at: number }>]> {
    const { topicTtlMs, history } = this.options
    let raw
    try {
      raw = await this.commands.proxyerHistory(this.keys.stats(topic), this.keys.history(topic), this.epochs.next(), since, limit, topicTtlMs,
        subscribing ? 1 : 0, newest ? 1 : 0, maxBytes, lostEpoch)
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
    return this.figures.topics('')
  }

  async topicPage (query: TopicPageQuery, scope: Scope = 'cluster'): Promise<TopicPage> {
    if (scope === 'local') return topicPage(query, (after, limit) => this.registry.page(query.prefix, after, limit))
    try {
      return await readTopicPage(this.commands, this.keys, this.figures, Date.now() - this.options.instanceTtlMs, query)
    } catch (err) {
      throw new BrokerUnavailableError((err as Error).message)
    }
  }

  async topic (topic: string, scope: Scope = 'cluster'): Promise<TopicStats | undefined> {
    if (scope === 'local') return this.registry.stats(topic)
    return (await this.figures.topics(topic))[0]
  }

  async instances (): Promise<InstanceInfo[]> {
    return this.figures.instances()
  }

  async close (): Promise<void> {
    this.closed = true
    clearInterval(this.heartbeat)
    this.probe.stop()
    await this.figures.leave()
    // the probe has no command timeout, so a QUIT to a frozen Redis would wait for ever; it holds nothing to finish
    this.options.probe.disconnect()
    await closeRedis(this.subscriber)
  }

  /** A message on a topic's channel, its frames handed to the topic's local subscribers; other channels are the bridge's. */
  private receive (channel: string, message: Buffer): void {
    if (!channel.startsWith(this.keys.channelPrefix)) {
      this.bridge.relay(channel, message)
      return
    }
    const topic = this.keys.topicOf(channel)
    // the last local subscriber may have left while the message was on its way
    if (this.registry.subscriberCount(topic) === 0) return
    forEachFrame(message, (frame) => this.receiveFrame(topic, frame))
  }

  private receiveFrame (topic: string, frame: Buffer): void {
    const held = this.catchingUp.get(topic)
    if (held !== undefined) {
      held.push(new Publication(frame, performance.now()))
      return
    }
    const position = publishFramePosition(frame)
    const last = this.delivered.get(topic)
    if (last !== undefined && position.epoch === last.epoch && position.offset !== last.offset + 1) {
      // offsets skipped (frames missed while a shard's subscription moved in a failover) or given again (the
      // promoted replica lacked the latest writes): the topic's history settles which, never in silence
      const reused = position.offset <= last.offset
      this.catchingUp.set(topic, reused ? [] : [new Publication(frame)])
      this.catchUp(topic, last, reused).catch((err) => this.options.log.warn({ err, topic }, 'catching up failed'))
      return
    }
    // exact subscribers only: the patterns here get every topic's frames on their own PSUBSCRIBE
    this.registry.publish(topic, new Publication(frame, performance.now()), Date.now(), true)
    this.delivered.set(topic, position)
  }

  /**
   * A frame on any topic, for the patterns here. Subscribers of the topic itself got it on the topic's
   * channel, unless that SUBSCRIBE is still on its way: then the pattern brings it to them.
   */
  private receiveForPatterns (channel: string, message: Buffer): void {
    const topic = this.keys.topicOf(channel)
    const exactToo = !this.channelsPending.has(topic)
    forEachFrame(message, (frame) => this.registry.publishToPatterns(topic, new Publication(frame, performance.now()), exactToo))
  }

  /** Where a topic's local subscribers start, unless messages delivered here already say more. */
  private startsAt (topic: string, position: Position): void {
    if (!this.delivered.has(topic) && position.epoch !== '') this.delivered.set(topic, position)
  }

  /**
   * After the subscriber connection came back: every topic's channel again, and what its local
   * subscribers missed meanwhile, from history, with the live frames held until then.
   */
  private async resubscribe (): Promise<void> {
    const topics = this.registry.subscribedTopics()
    const missed: Array<[string, Position]> = []
    for (const topic of topics) {
      const since = this.delivered.get(topic)
      // a topic already catching up (the connection dropped again meanwhile) goes on with its own
      if (since === undefined || this.catchingUp.has(topic)) continue
      this.catchingUp.set(topic, [])
      missed.push([topic, since])
    }
    if (topics.length > 0) await this.channelCommand('subscribe', topics)
    if (this.registry.hasPatterns) {
      await this.subscriber.psubscribe(this.everyTopic)
      // a pattern's topics are not known here, so nothing can be replayed: say so, once, and carry on live
      for (const pattern of this.registry.subscribedPatterns()) this.registry.notify(pattern, Publication.fromText(resumedFrame(pattern)))
    }
    await Promise.all(missed.map(([topic, since]) => this.catchUp(topic, since)))
    await this.bridge.restart()
    this.options.log.info({ topics: topics.length, caughtUp: missed.length }, 'subscribed to Redis')
  }

  /**
   * Hands the topic's local subscribers the messages after `since`, then the live ones held meanwhile,
   * each once and in order. A new epoch (Redis lost the topic's history) is taken from its start, after
   * a `resumed` notice that what came before it may be missing, as the SDK does: other instances may
   * have published in it before this one was back. Where the history cannot cover the gap (trimmed),
   * the notice says so and the topic carries on from where it stands.
   */
  private async catchUp (topic: string, since: Position, offsetsReused = false): Promise<void> {
    let read: [string, number, Array<{ offset: number, frame: string }>] | undefined
    for (let attempt = 1; read === undefined && !this.closed; attempt++) {
      try {
        let history = await this.readHistory(topic, since.offset, this.options.history.size, true, 0, false, offsetsReused ? since.epoch : '')
        if (history[0] !== since.epoch && since.offset > 0) history = await this.readHistory(topic, 0, this.options.history.size, true)
        // live frames up to the history's offset may still be on their way: a PING there returns after them
        await this.subscriber.ping()
        read = history
      } catch {
        // Redis went away again: try until it answers, as the held frames wait for it
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * attempt, 2000)))
      }
    }
    const held = this.catchingUp.get(topic) ?? []
    this.catchingUp.delete(topic)
    if (read === undefined) return
    const [epoch, offset, entries] = read
    const from = epoch === since.epoch ? since : { offset: 0, epoch }
    let last: Position
    if (canCatchUp(from.offset, offset, entries[0]?.offset)) {
      if (from !== since) this.registry.notify(topic, Publication.fromText(resumedFrame(topic, from)))
      for (const entry of entries) this.registry.publish(topic, Publication.fromText(entry.frame), Date.now(), true)
      last = { offset: entries.at(-1)?.offset ?? from.offset, epoch }
    } else {
      last = { offset, epoch }
      this.registry.notify(topic, Publication.fromText(resumedFrame(topic, last)))
    }
    for (const publication of held) {
      const position = publishFramePosition(publication.payload)
      if (position.epoch === last.epoch && position.offset <= last.offset) continue
      this.registry.publish(topic, publication, Date.now(), true)
      last = position
    }
    if (this.registry.subscriberCount(topic) > 0) this.delivered.set(topic, last)
  }

  /**
   * SUBSCRIBE or UNSUBSCRIBE the topics' channels; on a Redis Cluster SSUBSCRIBE or SUNSUBSCRIBE, one
   * call per channel since each may live on another shard (ioredis sends it to that shard's subscriber).
   */
  private async channelCommand (command: 'subscribe' | 'unsubscribe', topics: string[]): Promise<void> {
    const channels = topics.map((topic) => this.keys.channel(topic))
    if (!this.sharded) {
      await this.subscriber[command](...channels)
      return
    }
    const sharded = command === 'subscribe' ? 'ssubscribe' : 'sunsubscribe'
    await Promise.all(channels.map(async (channel) => this.subscriber[sharded](channel)))
  }

  private beat (): void {
    this.registry.sweep(this.options.topicTtlMs)
    if (this.commands.status !== 'ready') return
    this.figures.write().catch((err) => this.options.log.warn({ err }, 'writing the cluster figures failed'))
    this.bridge.renew().catch((err) => this.options.log.warn({ err }, 'renewing the bridge lease failed'))
  }
}

/**
 * Redis refused the script (an error reply) or the command never left (no connection): nothing was
 * published. Otherwise it was sent and no answer came (a timeout, the connection lost meanwhile).
 */
function publishFailure (err: Error): Error {
  if (err.name === 'ReplyError' || err.message.includes('Stream isn\'t writeable')) return new BrokerUnavailableError(err.message)
  return new BrokerOutcomeUnknownError(err.message)
}
