/** REDIS_BRIDGE at run time: the one instance holding the bridge lease relays the bridged channels into topics. */
import type { RedisClient } from './scripts.js'
import type { BridgeRule } from './bridge.js'

export interface BridgeRelayOptions {
  rules: BridgeRule[]
  commands: RedisClient
  /** The broker's SUBSCRIBE connection, on which the relay listens to the bridged channels. */
  subscriber: RedisClient
  leaseKey: string
  instanceId: string
  leaseTtlMs: number
  /** Publishes a relayed message to its topic. */
  publish: (topic: string, message: string) => Promise<unknown>
  log: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void }
}

export class BridgeRelay {
  private leader = false

  constructor (private readonly options: BridgeRelayOptions) {}

  /** After a reconnect the channels are no longer subscribed: the lease is taken afresh. */
  async restart (): Promise<void> {
    this.leader = false
    await this.renew()
  }

  /** One instance relays the bridge, so each bridged message is published, counted and ordered once. */
  async renew (): Promise<void> {
    const { rules, commands, subscriber, leaseKey, instanceId, leaseTtlMs } = this.options
    if (rules.length === 0 || subscriber.status !== 'ready') return
    const leader = await commands.proxyerBridgeLease(leaseKey, instanceId, leaseTtlMs) === 1
    if (leader === this.leader) return
    this.leader = leader
    const channels = rules.filter((r) => !r.pattern).map((r) => r.source)
    const patterns = rules.filter((r) => r.pattern).map((r) => r.source)
    if (leader) {
      if (channels.length > 0) await subscriber.subscribe(...channels)
      if (patterns.length > 0) await subscriber.psubscribe(...patterns)
    } else {
      if (channels.length > 0) await subscriber.unsubscribe(...channels)
      if (patterns.length > 0) await subscriber.punsubscribe(...patterns)
    }
    this.options.log.info({ leader }, 'bridge lease changed')
  }

  /** A raw message on a bridged channel or pattern, published to the rule's topic. */
  relay (source: string, message: Buffer): void {
    const rule = this.options.rules.find((r) => r.source === source)
    /* c8 ignore next: outside the topic prefix, only the bridge's own channels are subscribed */
    if (rule === undefined) return
    this.options.publish(rule.topic, message.toString()).catch((err) => {
      this.options.log.warn({ err, source, topic: rule.topic }, 'a bridged message was lost')
    })
  }
}
