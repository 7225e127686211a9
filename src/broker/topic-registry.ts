/** The subscribers and figures of each topic and pattern on this process, in name order for paging; shared by every broker. */
import type { Subscriber, TopicStats } from './broker.js'
import type { Publication } from './publication.js'
import { isTopicPattern } from '../contract/codes.js'
import { PatternTrie } from './pattern-trie.js'
import { SortedNames } from './sorted-names.js'

interface TopicEntry {
  subscribers: Set<Subscriber>
  published: number
  delivered: number
  slowConsumers: number
  /** Epoch ms of the last message; 0 before the first. */
  lastPublishedAt: number
}

export class TopicRegistry {
  /** Topics and patterns: a pattern's figures are kept under the pattern. */
  private readonly entries = new Map<string, TopicEntry>()
  /** The pattern entries again, found by the topic they match. */
  private readonly patterns = new PatternTrie<TopicEntry>()
  private readonly names = new SortedNames()

  /** Returns true when this is the topic's first subscriber here. */
  add (topic: string, subscriber: Subscriber): boolean {
    const entry = this.entry(topic)
    entry.subscribers.add(subscriber)
    return entry.subscribers.size === 1
  }

  remove (topic: string, subscriber: Subscriber): void {
    const entry = this.entries.get(topic)
    if (entry === undefined || !entry.subscribers.delete(subscriber)) return
    // a topic nobody ever published to (a pattern is never published to) nor was cut on has nothing worth keeping
    if (entry.subscribers.size === 0 && entry.published === 0 && entry.slowConsumers === 0) this.forget(topic)
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

  /** Whether any pattern is subscribed here, so the backend must bring every topic's messages. */
  get hasPatterns (): boolean {
    return this.patterns.size > 0
  }

  /**
   * Counts a message and hands it to every local subscriber of the topic and, unless `exactOnly`, of
   * the patterns matching it: each subscriber once. Returns how many took it.
   */
  publish (topic: string, publication: Publication, at = Date.now(), exactOnly = false): number {
    const entry = this.entry(topic)
    entry.published++
    entry.lastPublishedAt = at
    const matching = exactOnly ? [] : this.patterns.match(topic)
    if (matching.length === 0) return deliverAll(entry, publication, undefined)
    const reached = new Set<Subscriber>()
    let delivered = deliverAll(entry, publication, reached)
    for (const pattern of matching) delivered += deliverAll(pattern, publication, reached)
    return delivered
  }

  /**
   * Hands a message to the subscribers of the patterns matching its topic, each once; with `skipExact`,
   * not to those the topic's own subscription reaches (they get it on the topic's channel).
   */
  publishToPatterns (topic: string, publication: Publication, skipExact: boolean): void {
    const matching = this.patterns.match(topic)
    if (matching.length === 0) return
    const exact = skipExact ? this.entries.get(topic)?.subscribers : undefined
    // one pattern and nobody to skip, the common case: no set of who was reached for each message
    if (matching.length === 1 && (exact === undefined || exact.size === 0)) {
      deliverAll(matching[0], publication, undefined)
      return
    }
    const reached = new Set<Subscriber>(exact)
    for (const pattern of matching) deliverAll(pattern, publication, reached)
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

  /** At most `limit` topics and patterns starting with `prefix`, after `after`, in name order. */
  page (prefix: string, after: string | undefined, limit: number): TopicStats[] {
    return this.names.page(prefix, after, limit).map((name) => toStats(name, this.entries.get(name) as TopicEntry))
  }

  /** Topics (not patterns) with a local subscriber, for resubscribing a backend. */
  subscribedTopics (): string[] {
    return [...this.entries].filter(([topic, entry]) => entry.subscribers.size > 0 && !isTopicPattern(topic)).map(([topic]) => topic)
  }

  /** Patterns with a local subscriber, to tell them of a break. */
  subscribedPatterns (): string[] {
    return [...this.entries].filter(([name, entry]) => entry.subscribers.size > 0 && isTopicPattern(name)).map(([name]) => name)
  }

  /** Forgets topics without subscribers whose last message is older than `ttlMs`. */
  sweep (ttlMs: number, now = Date.now()): void {
    for (const [topic, entry] of this.entries) {
      if (entry.subscribers.size === 0 && entry.lastPublishedAt < now - ttlMs) this.forget(topic)
    }
  }

  private entry (topic: string): TopicEntry {
    let entry = this.entries.get(topic)
    if (entry === undefined) {
      entry = { subscribers: new Set(), published: 0, delivered: 0, slowConsumers: 0, lastPublishedAt: 0 }
      this.entries.set(topic, entry)
      this.names.add(topic)
      if (isTopicPattern(topic)) this.patterns.set(topic, entry)
    }
    return entry
  }

  private forget (topic: string): void {
    this.entries.delete(topic)
    this.names.delete(topic)
    if (isTopicPattern(topic)) this.patterns.delete(topic)
  }
}

/** Hands the publication to the entry's subscribers not yet in `reached` (adding them), counting on the entry. */
function deliverAll (entry: TopicEntry, publication: Publication, reached: Set<Subscriber> | undefined): number {
  let delivered = 0
  for (const subscriber of entry.subscribers) {
    if (reached !== undefined) {
      if (reached.has(subscriber)) continue
      reached.add(subscriber)
    }
    if (subscriber.deliver(publication)) delivered++
    else entry.slowConsumers++
  }
  entry.delivered += delivered
  return delivered
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
