/** Every Redis key and channel name proxyer uses, under REDIS_PREFIX; the Lua scripts get the keys they touch from the caller. */

/**
 * Names are of two kinds, so that a Redis Cluster can spread them (see README, "Redis Cluster"):
 * - a topic's own keys carry the topic as hash tag, `PREFIX{TOPIC}:...`, so they live on one shard and its
 *   publish is one atomic script there: `:stats` its position, publish figures and the bytes its history
 *   keeps (hash, `historyBytes`, for HISTORY_TOPIC_MAX_BYTES), `:subs` its subscribers per instance (hash, field
 *   INSTANCE; field '' their sum), `:history` a stream of its last messages (ids OFFSET-0), `:idempotency:KEY`
 *   a publish's first result; `PREFIX{TOPIC}` is its pub/sub channel.
 * - the cluster's keys share the tag `{cluster}` and are written by the heartbeats, never by a publish:
 *   `instances` the live instances scored by last heartbeat; `instance:ID` its connections and start;
 *   `subs:ID`, `delivered:ID`, `slow:ID` its figures per topic; `counted:ID` the topics whose `:subs` hold
 *   its count (for reconciling a dead one); `topics` the topics with recent messages, scored by the last;
 *   `names` every topic and subscribed pattern, score 0, for listing them by name a page at a time;
 *   `bridge-lease` who relays REDIS_BRIDGE.
 */
export const SHARED_TAG = '{cluster}:'

/** The names under one prefix. */
export class RedisKeys {
  /** The cluster's keys start with this. */
  readonly shared: string

  constructor (readonly prefix: string) {
    this.shared = prefix + SHARED_TAG
  }

  get instances (): string { return this.shared + 'instances' }
  get bridgeLease (): string { return this.shared + 'bridge-lease' }
  get names (): string { return this.shared + 'names' }
  get topics (): string { return this.shared + 'topics' }
  instance (id: string): string { return this.shared + 'instance:' + id }
  subs (id: string): string { return this.shared + 'subs:' + id }
  delivered (id: string): string { return this.shared + 'delivered:' + id }
  slow (id: string): string { return this.shared + 'slow:' + id }
  counted (id: string): string { return this.shared + 'counted:' + id }

  /** Every topic's channel starts with this, the topic follows, and `}` ends it. */
  get channelPrefix (): string { return this.prefix + '{' }
  channel (topic: string): string { return `${this.prefix}{${topic}}` }
  /** The topic of a channel name that starts with channelPrefix. */
  topicOf (channel: string): string { return channel.slice(this.channelPrefix.length, -1) }
  stats (topic: string): string { return this.channel(topic) + ':stats' }
  topicSubs (topic: string): string { return this.channel(topic) + ':subs' }
  history (topic: string): string { return this.channel(topic) + ':history' }
  idempotency (topic: string, key: string): string { return this.channel(topic) + ':idempotency:' + key }
}
