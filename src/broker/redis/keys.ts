/** Every Redis key and channel name proxyer uses, under REDIS_PREFIX; the Lua scripts get the same names when loaded. */

/**
 * The part of each name after the prefix. `instances`: a sorted set of the live instances, scored by
 * last heartbeat; `instance:ID` its connections and start; `subs:ID`, `delivered:ID`, `slow:ID`: its
 * figures per topic; `stats:TOPIC`: the topic's position and publish figures; `history:TOPIC`: a stream
 * of its last messages (ids OFFSET-0); `topics`: topics with recent messages, scored by last message;
 * `topic:TOPIC`: the pub/sub channel of its frames; `bridge-lease`: who relays REDIS_BRIDGE; `names`: every
 * topic and subscribed pattern, score 0, for listing them by name a page at a time (entries of expired ones
 * are removed as a page meets them); `idempotency:TOPIC|KEY`: a publish's first result under its key;
 * `history-bytes`, `history-total`, `history-ages`: the bytes histories keep, per topic and in all, and
 * each topic's oldest kept message, for HISTORY_TOPIC_MAX_BYTES and HISTORY_MAX_BYTES (history-bytes.lua).
 */
export const KeyPart = {
  instances: 'instances',
  instance: 'instance:',
  subs: 'subs:',
  delivered: 'delivered:',
  slow: 'slow:',
  stats: 'stats:',
  history: 'history:',
  topics: 'topics',
  channel: 'topic:',
  bridgeLease: 'bridge-lease',
  names: 'names',
  idempotency: 'idempotency:',
  historyBytes: 'history-bytes',
  historyTotal: 'history-total',
  historyAges: 'history-ages'
} as const

/** The names under one prefix. */
export class RedisKeys {
  constructor (readonly prefix: string) {}

  get instances (): string { return this.prefix + KeyPart.instances }
  get bridgeLease (): string { return this.prefix + KeyPart.bridgeLease }
  get names (): string { return this.prefix + KeyPart.names }
  get channelPrefix (): string { return this.prefix + KeyPart.channel }
  channel (topic: string): string { return this.channelPrefix + topic }
  instance (id: string): string { return this.prefix + KeyPart.instance + id }
  subs (id: string): string { return this.prefix + KeyPart.subs + id }
  delivered (id: string): string { return this.prefix + KeyPart.delivered + id }
  slow (id: string): string { return this.prefix + KeyPart.slow + id }
}
