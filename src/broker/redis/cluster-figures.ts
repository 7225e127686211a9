/** The cluster's figures in Redis: this instance's heartbeat and counts written there, every live instance's read back and summed. */
import type { Redis } from 'ioredis'
import { BrokerUnavailableError, type InstanceInfo, type TopicStats } from '../broker.js'
import type { TopicRegistry } from '../topic-registry.js'
import type { RedisKeys } from './keys.js'
import type { RawInstance, RawStats } from './scripts.js'

export interface ClusterFiguresOptions {
  commands: Redis
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

export class ClusterFigures {
  private readonly startedAt = Date.now()
  private pending: Promise<void> | undefined
  private stopped = false

  constructor (private readonly options: ClusterFiguresOptions) {}

  /** Subscriber counts change in bursts; one write per event-loop turn carries them all. */
  schedule (): Promise<void> {
    this.pending ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.pending = undefined
      return this.write()
    })
    return this.pending
  }

  /** This instance's heartbeat and counts, kept for one instance TTL. */
  async write (): Promise<void> {
    const { commands, keys, instanceId, instanceTtlMs, registry } = this.options
    if (this.stopped || commands.status !== 'ready') return
    const now = Date.now()
    const subs = keys.subs(instanceId)
    const delivered = keys.delivered(instanceId)
    const slow = keys.slow(instanceId)
    const info = keys.instance(instanceId)
    const stats = registry.allStats()
    const transaction = commands.multi()
      .zadd(keys.instances, now, instanceId)
      .zremrangebyscore(keys.instances, '-inf', now - 10 * instanceTtlMs)
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
    await transaction.exec().catch((err) => this.options.log.warn({ err }, 'writing the cluster figures failed'))
  }

  /** Leaves the figures at once rather than after the instance TTL; writes none after. */
  async leave (): Promise<void> {
    this.stopped = true
    const { commands, keys, instanceId } = this.options
    if (commands.status !== 'ready') return
    await commands.multi()
      .zrem(keys.instances, instanceId)
      .del(keys.instance(instanceId), keys.subs(instanceId), keys.delivered(instanceId), keys.slow(instanceId))
      .exec()
      // shutting down: what is not removed now expires after the instance TTL
      .catch(() => {})
  }

  async instances (): Promise<InstanceInfo[]> {
    const [instances] = await this.read('')
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
    const [instances, stats] = await this.read(only)
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

  /** figures.lua */
  private async read (only: string): Promise<[RawInstance[], RawStats[]]> {
    const { commands, keys, instanceTtlMs, topicTtlMs } = this.options
    const now = Date.now()
    try {
      return await commands.proxyerFigures(keys.prefix, now - instanceTtlMs, now - topicTtlMs, only)
    } catch (err) {
      throw new BrokerUnavailableError((err as Error).message)
    }
  }
}
