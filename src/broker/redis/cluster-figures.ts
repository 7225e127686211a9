/**
 * The cluster's figures in Redis: this instance's heartbeat and counts written there, every live instance's
 * read back and summed; each topic's subscriber sum kept for publish.lua, and a dead instance's share taken out.
 */
import { Cluster } from 'ioredis'
import { BrokerUnavailableError, type InstanceInfo, type TopicStats } from '../broker.js'
import type { TopicRegistry } from '../topic-registry.js'
import type { RedisKeys } from './keys.js'
import type { RawInstance, RedisClient } from './scripts.js'
import { TopicCounts } from './topic-counts.js'

export interface ClusterFiguresOptions {
  commands: RedisClient
  keys: RedisKeys
  /** This instance's topics, whose counts it writes. */
  registry: TopicRegistry
  instanceId: string
  instanceTtlMs: number
  topicTtlMs: number
  /** What this instance reports of itself at each heartbeat. */
  describe: () => { connections: number }
  log: { warn (obj: object, msg: string): void }
}

/** Dead instances one heartbeat takes out of the counts at most; the next takes the rest. */
const RECONCILED_PER_BEAT = 10

export class ClusterFigures {
  private readonly startedAt = Date.now()
  private pending: Promise<void> | undefined
  private indexing: Promise<void> | undefined
  private stopped = false
  /** Topics this instance published to since the last heartbeat, with when: the heartbeat indexes them. */
  private published = new Map<string, number>()
  /** Topics in the cluster's index at the last heartbeat, plus the new ones published here since. */
  private knownTopics = 0
  readonly counts: TopicCounts

  constructor (private readonly options: ClusterFiguresOptions) {
    this.counts = new TopicCounts(options)
  }

  /** Subscriber counts change in bursts; one write per event-loop turn carries them all. */
  schedule (): Promise<void> {
    this.pending ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.pending = undefined
      return this.write(false)
    })
    return this.pending
  }

  /** Whether a topic new to the cluster may be published to under MAX_TOPICS, as far as this instance knows. */
  mayAddTopic (maxTopics: number): boolean {
    return this.knownTopics < maxTopics
  }

  /**
   * A publish here: its topic goes into the cluster's index after the publish, with every other topic
   * published here in the same event-loop turn, so the publish script itself writes no shared key.
   */
  notePublished (topic: string, at: number, isNew: boolean): void {
    if (isNew) this.knownTopics++
    this.published.set(topic, at)
    this.indexing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      this.indexing = undefined
      await this.index()
    })
  }

  /** The topics published here since the last write, into the index by name and by last message. */
  private async index (): Promise<void> {
    const { commands, keys } = this.options
    const published = this.published
    if (published.size === 0 || this.stopped || commands.status !== 'ready') return
    this.published = new Map()
    await commands.multi()
      .zadd(keys.topics, ...[...published].flatMap(([topic, at]) => [at, topic]))
      .zadd(keys.names, ...[...published.keys()].flatMap((topic) => [0, topic]))
      .exec()
      .catch((err) => {
        // the heartbeat writes them when Redis is back
        for (const [topic, at] of published) if (!this.published.has(topic)) this.published.set(topic, at)
        this.options.log.warn({ err }, 'indexing the topics published failed')
      })
  }

  /**
   * This instance's heartbeat and figures (kept for one instance TTL), the topics published here, the
   * index trimmed of topics without a message within the topic TTL; at a full beat, the counts of dead
   * instances taken out of their topics' sums.
   */
  async write (beat = true): Promise<void> {
    const { commands, keys, instanceId, instanceTtlMs, topicTtlMs, registry } = this.options
    if (this.stopped || commands.status !== 'ready') return
    const now = Date.now()
    const subs = keys.subs(instanceId)
    const delivered = keys.delivered(instanceId)
    const slow = keys.slow(instanceId)
    const info = keys.instance(instanceId)
    const stats = registry.allStats()
    const published = this.published
    this.published = new Map()
    const transaction = commands.multi()
      .zadd(keys.instances, now, instanceId)
      .hset(info, { connections: this.options.describe().connections, startedAt: this.startedAt })
      .del(subs, delivered, slow)
    const live = stats.filter((s) => s.subscribers > 0)
    if (live.length > 0) {
      transaction.hset(subs, Object.fromEntries(live.map((s) => [s.topic, s.subscribers])))
      // listed by name (topic-page.lua) even before any message; the listing drops them once they are gone
      transaction.zadd(keys.names, ...live.flatMap((s) => [0, s.topic]))
    }
    if (stats.length > 0) transaction.hset(delivered, Object.fromEntries(stats.map((s) => [s.topic, s.delivered])))
    const cut = stats.filter((s) => s.slowConsumers > 0)
    if (cut.length > 0) transaction.hset(slow, Object.fromEntries(cut.map((s) => [s.topic, s.slowConsumers])))
    for (const key of [info, subs, delivered, slow]) transaction.pexpire(key, instanceTtlMs)
    if (published.size > 0) {
      transaction.zadd(keys.topics, ...[...published].flatMap(([topic, at]) => [at, topic]))
      transaction.zadd(keys.names, ...[...published.keys()].flatMap((topic) => [0, topic]))
    }
    transaction.zremrangebyscore(keys.topics, '-inf', `(${now - topicTtlMs}`)
      .zcard(keys.topics)
      .zrangebyscore(keys.instances, '-inf', `(${now - instanceTtlMs}`, 'LIMIT', 0, RECONCILED_PER_BEAT)
    let replies
    try {
      replies = await transaction.exec()
    } catch (err) {
      // the topics go into the index at the next heartbeat that reaches Redis
      for (const [topic, at] of published) if (!this.published.has(topic)) this.published.set(topic, at)
      this.options.log.warn({ err }, 'writing the cluster figures failed')
      return
    }
    /* c8 ignore next: EXEC answers null only when a WATCHed key changed, and none is watched */
    if (replies === null) return
    const last = replies.length - 1
    this.knownTopics = Number(replies[last - 1][1])
    // newly added: the first beat, or this instance was taken for dead meanwhile and its counts taken out
    if (Number(replies[0][1]) === 1) this.counts.rewriteAll()
    await this.counts.flush()
    if (beat) await this.counts.reconcile(replies[last][1] as string[])
  }

  /** Leaves the figures at once rather than after the instance TTL; writes none after. */
  async leave (): Promise<void> {
    this.stopped = true
    const { commands, keys, instanceId } = this.options
    if (commands.status !== 'ready') return
    // shutting down: what is not removed now, the other instances take out after the instance TTL
    await this.counts.forget(instanceId).catch(() => {})
    await commands.multi()
      .zrem(keys.instances, instanceId)
      .del(keys.instance(instanceId), keys.subs(instanceId), keys.delivered(instanceId), keys.slow(instanceId))
      .exec()
      .catch(() => {})
  }

  /** GET /cluster: the live instances alone, a light read. */
  async instances (): Promise<InstanceInfo[]> {
    const [instances] = await this.read('', true)
    return instances.map(([id, connections, startedAt, lastSeenAt]) => ({
      id,
      self: id === this.options.instanceId,
      connections: Number(connections),
      startedAt: new Date(Number(startedAt)).toISOString(),
      lastSeenAt: new Date(Number(lastSeenAt)).toISOString()
    }))
  }

  /** Every topic's figures summed over live instances, or `only` that topic's. */
  async topics (only: string): Promise<TopicStats[]> {
    // this instance's own publishes are in the index before it is read
    await this.indexing
    const [instances, topics] = await this.read(only, false)
    const byTopic = new Map<string, TopicStats>()
    const entry = (topic: string): TopicStats => {
      let stats = byTopic.get(topic)
      if (stats === undefined) {
        stats = { topic, subscribers: 0, published: 0, delivered: 0, slowConsumers: 0, lastPublishedAt: null }
        byTopic.set(topic, stats)
      }
      return stats
    }
    for (const [, , , , subs, delivered, slow] of instances) {
      for (let i = 0; i < subs.length; i += 2) entry(subs[i]).subscribers += Number(subs[i + 1])
      for (let i = 0; i < delivered.length; i += 2) entry(delivered[i]).delivered += Number(delivered[i + 1])
      for (let i = 0; i < slow.length; i += 2) entry(slow[i]).slowConsumers += Number(slow[i + 1])
    }
    for (const topic of topics) entry(topic)
    const figures = await this.publishFigures([...byTopic.keys()])
    for (const [topic, published, lastPublishedAt] of figures) {
      Object.assign(entry(topic), { published, lastPublishedAt })
    }
    // a topic counts while it has subscribers or messages, as in the embedded broker
    return [...byTopic.values()].filter((s) => s.subscribers > 0 || s.published > 0)
  }

  /** Each topic's publish figures, read on its own shard; the reads go out together. */
  async publishFigures (topics: string[]): Promise<Array<[string, number, string | null]>> {
    const { commands, keys } = this.options
    try {
      let replies: Array<Array<string | null>>
      if (commands instanceof Cluster) {
        // each shard's reads of one turn go out together (enableAutoPipelining)
        replies = await Promise.all(topics.map(async (topic) => commands.hmget(keys.stats(topic), 'published', 'lastPublishedAt')))
      } else {
        // one Redis: one pipeline, one write
        const pipeline = commands.pipeline()
        for (const topic of topics) pipeline.hmget(keys.stats(topic), 'published', 'lastPublishedAt')
        /* c8 ignore next: exec() answers null only for a transaction whose WATCHed key changed, never for a pipeline */
        const results = (await pipeline.exec()) ?? []
        // Redis gone rejects exec(); a read Redis refuses (an ACL without HMGET) is an error in its place
        replies = results.map(([err, reply]) => {
          if (err !== null) throw err
          return reply as Array<string | null>
        })
      }
      return replies.map(([published, at], i) => [topics[i], Number(published ?? 0), at === null ? null : new Date(Number(at)).toISOString()])
    } catch (err) {
      throw new BrokerUnavailableError((err as Error).message)
    }
  }

  /** figures.lua */
  private async read (only: string, light: boolean): Promise<[RawInstance[], string[]]> {
    const { commands, keys, instanceTtlMs, topicTtlMs } = this.options
    const now = Date.now()
    try {
      return await commands.proxyerFigures(keys.instances, keys.shared, now - instanceTtlMs, now - topicTtlMs, only, light ? 1 : 0)
    } catch (err) {
      throw new BrokerUnavailableError((err as Error).message)
    }
  }
}
