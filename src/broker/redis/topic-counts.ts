/**
 * Each topic's subscribers per instance and their sum, kept in the topic's `:subs` hash (counts.lua) so that
 * publish.lua reads one field whatever the number of instances; a dead instance's share is taken out by the others.
 */
import type { TopicRegistry } from '../topic-registry.js'
import type { RedisKeys } from './keys.js'
import type { RedisClient } from './scripts.js'

export interface TopicCountsOptions {
  commands: RedisClient
  keys: RedisKeys
  registry: TopicRegistry
  instanceId: string
  log: { warn (obj: object, msg: string): void }
}

export class TopicCounts {
  /** Topics whose count here may differ from the one written. */
  private changed = new Set<string>()
  /** The count of each topic written for this instance. */
  private readonly written = new Map<string, number>()

  constructor (private readonly options: TopicCountsOptions) {}

  /** A subscriber came or went: the next flush writes the topic's count. */
  note (topic: string): void {
    this.changed.add(topic)
  }

  /** Every count written again, as after this instance was taken for dead and its counts taken out. */
  rewriteAll (): void {
    this.written.clear()
    for (const topic of this.options.registry.subscribedTopics()) this.changed.add(topic)
  }

  /**
   * Writes the changed counts: the topic joins this instance's `counted` set before its count is written
   * and leaves it after its count is 0, so a dead instance's counts can always be found and taken out.
   */
  async flush (): Promise<void> {
    const { commands, keys, registry, instanceId } = this.options
    if (this.changed.size === 0) return
    const topics = [...this.changed].map((topic) => [topic, registry.subscriberCount(topic)] as const)
      .filter(([topic, count]) => count !== (this.written.get(topic) ?? 0))
    this.changed = new Set()
    if (topics.length === 0) return
    const counted = keys.counted(instanceId)
    try {
      const added = topics.filter(([, count]) => count > 0).map(([topic]) => topic)
      if (added.length > 0) await commands.sadd(counted, ...added)
      await Promise.all(topics.map(async ([topic, count]) => commands.proxyerCount(keys.topicSubs(topic), instanceId, count)))
      const removed = topics.filter(([, count]) => count === 0).map(([topic]) => topic)
      if (removed.length > 0) await commands.srem(counted, ...removed)
    } catch (err) {
      // written again at the next flush that reaches Redis
      for (const [topic] of topics) this.changed.add(topic)
      this.options.log.warn({ err }, 'writing the subscriber counts failed')
      return
    }
    for (const [topic, count] of topics) {
      if (count === 0) this.written.delete(topic)
      else this.written.set(topic, count)
    }
  }

  /** Instances not heard from within the instance TTL: their counts leave their topics' sums, then they leave the cluster. */
  async reconcile (dead: string[]): Promise<void> {
    for (const id of dead) {
      if (id === this.options.instanceId) continue
      await this.forget(id).catch((err) => this.options.log.warn({ err, instance: id }, 'taking a dead instance\'s counts out failed'))
    }
  }

  /** Takes an instance's counts out of every topic it counted in, then the instance out of the cluster. */
  async forget (id: string): Promise<void> {
    const { commands, keys } = this.options
    const counted = keys.counted(id)
    const topics = await commands.smembers(counted)
    // counts.lua changes nothing for a count already taken out: two instances may do this at once
    await Promise.all(topics.map(async (topic) => commands.proxyerCount(keys.topicSubs(topic), id, 0)))
    await commands.multi()
      .zrem(keys.instances, id)
      .del(counted, keys.instance(id), keys.subs(id), keys.delivered(id), keys.slow(id))
      .exec()
    if (id === this.options.instanceId) this.written.clear()
  }
}
