/** The subscribers and figures of each topic on this process; shared by every broker. */
import type { Subscriber, TopicStats } from './broker.js'
import type { Publication } from './publication.js'

interface TopicEntry {
  subscribers: Set<Subscriber>
  published: number
  delivered: number
  slowConsumers: number
  /** Epoch ms of the last message; 0 before the first. */
  lastPublishedAt: number
}

export class TopicRegistry {
  private readonly entries = new Map<string, TopicEntry>()

  /** Returns true when this is the topic's first subscriber here. */
  add (topic: string, subscriber: Subscriber): boolean {
    const entry = this.entry(topic)
    entry.subscribers.add(subscriber)
    return entry.subscribers.size === 1
  }

  remove (topic: string, subscriber: Subscriber): void {
    const entry = this.entries.get(topic)
    if (entry === undefined || !entry.subscribers.delete(subscriber)) return
    // a topic nobody ever published to nor was cut on has nothing worth keeping
    if (entry.subscribers.size === 0 && entry.published === 0 && entry.slowConsumers === 0) this.entries.delete(topic)
  }

  /** Puts `next` in the place of `previous` as one step, for a subscriber that goes live. */
  replace (topic: string, previous: Subscriber, next: Subscriber): void {
    const subscribers = this.entry(topic).subscribers
    subscribers.delete(previous)
    subscribers.add(next)
  }

  subscriberCount (topic: string): number {
    return this.entries.get(topic)?.subscribers.size ?? 0
  }

  /** Counts a message and hands it to every local subscriber of the topic; returns how many took it. */
  publish (topic: string, publication: Publication, at = Date.now()): number {
    const entry = this.entry(topic)
    entry.published++
    entry.lastPublishedAt = at
    let delivered = 0
    for (const subscriber of entry.subscribers) {
      if (subscriber.deliver(publication)) delivered++
      else entry.slowConsumers++
    }
    entry.delivered += delivered
    return delivered
  }

  /**
   * Hands replayed publications to one subscriber, in order, without counting them as published;
   * a subscriber cut as a slow consumer on the way is counted and gets no more. Returns false then.
   */
  replay (topic: string, publications: Iterable<Publication>, subscriber: Subscriber): boolean {
    for (const publication of publications) {
      if (subscriber.deliver(publication)) continue
      this.entry(topic).slowConsumers++
      return false
    }
    return true
  }

  /** Hands a notice (not a message: not counted) to every local subscriber of the topic. */
  notify (topic: string, publication: Publication): void {
    const entry = this.entries.get(topic)
    if (entry === undefined) return
    for (const subscriber of entry.subscribers) {
      if (!subscriber.deliver(publication)) entry.slowConsumers++
    }
  }

  stats (topic: string): TopicStats | undefined {
    const entry = this.entries.get(topic)
    return entry === undefined ? undefined : toStats(topic, entry)
  }

  allStats (): TopicStats[] {
    return [...this.entries].map(([topic, entry]) => toStats(topic, entry))
  }

  /** Topics with a local subscriber, for resubscribing a backend. */
  subscribedTopics (): string[] {
    return [...this.entries].filter(([, entry]) => entry.subscribers.size > 0).map(([topic]) => topic)
  }

  /** Forgets topics without subscribers whose last message is older than `ttlMs`. */
  sweep (ttlMs: number, now = Date.now()): void {
    for (const [topic, entry] of this.entries) {
      if (entry.subscribers.size === 0 && entry.lastPublishedAt < now - ttlMs) this.entries.delete(topic)
    }
  }

  private entry (topic: string): TopicEntry {
    let entry = this.entries.get(topic)
    if (entry === undefined) {
      entry = { subscribers: new Set(), published: 0, delivered: 0, slowConsumers: 0, lastPublishedAt: 0 }
      this.entries.set(topic, entry)
    }
    return entry
  }
}

function toStats (topic: string, entry: TopicEntry): TopicStats {
  return {
    topic,
    subscribers: entry.subscribers.size,
    published: entry.published,
    delivered: entry.delivered,
    slowConsumers: entry.slowConsumers,
    lastPublishedAt: entry.lastPublishedAt === 0 ? null : new Date(entry.lastPublishedAt).toISOString()
  }
}
