/** What every scenario opens: frame-counting subscribers, a publishing client, a parsing probe. */
import { RawClient } from '../load/raw-client.js'
import { RawHttpClient } from '../load/raw-http-client.js'
import type { PublishingClient } from '../load/publishing-client.js'
import { dialectOf, type Dialect } from '../load/dialect.js'
import { DeliveryCounter } from '../load/delivery-counter.js'
import { openAll } from '../load/measure.js'
import { openProbe, type Probe } from '../load/probe.mjs'
import type { Endpoint, Metrics, Task } from '../lib/types.js'

export class Rig {
  readonly dialect: Dialect
  readonly counter = new DeliveryCounter()
  private readonly clients: PublishingClient[] = []
  private readonly probes: Probe[] = []

  constructor (readonly task: Task) {
    this.dialect = dialectOf(task.server)
  }

  /**
   * A client that is open (and, for Socket.IO, connected to the namespace), subscribed to nothing;
   * its deliveries add to the rig's counter unless it is given its own.
   */
  async client (endpoint: Endpoint = this.task.endpoints[0], counter = this.counter, pathTopic?: string): Promise<RawClient> {
    const client = new RawClient(endpoint, this.dialect, counter, pathTopic)
    this.clients.push(client)
    await client.open()
    return client
  }

  /** A connection to publish on: a WebSocket client, or for Nchan pipelined HTTP. */
  async publisher (endpoint: Endpoint = this.task.endpoints[0]): Promise<PublishingClient> {
    if (!this.dialect.topicInPath) return this.client(endpoint)
    const client = new RawHttpClient(endpoint)
    this.clients.push(client)
    await client.open()
    return client
  }

  /** Opens `count` subscribers; subscriber `i` takes `topicOf(i)` on `endpointOf(i)`. */
  async subscribers (count: number, topicOf: (i: number) => string, endpointOf: (i: number) => Endpoint = () => this.task.endpoints[0]): Promise<RawClient[]> {
    return openAll(count, async (i) => {
      if (this.dialect.topicInPath) return this.client(endpointOf(i), this.counter, topicOf(i))
      const client = await this.client(endpointOf(i))
      await client.subscribe(topicOf(i))
      return client
    })
  }

  /** A subscriber on the real client library, parsing every message; it counts as a subscriber. */
  async probe (topic: string, endpoint: Endpoint = this.task.endpoints[0]): Promise<Probe> {
    const probe = await openProbe({ server: this.task.server, endpoint, topic, counter: this.counter })
    this.probes.push(probe)
    return probe
  }

  close (): void {
    for (const client of this.clients) client.destroy()
    for (const probe of this.probes) probe.close()
  }
}

/** Percentiles of a sample, in its unit; nulls for an empty sample. */
export function percentiles (sample: Float64Array | number[], prefix: string): Metrics {
  const sorted = Float64Array.from(sample).sort()
  const at = (q: number): number | null => sorted.length === 0 ? null : round(sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))], 3)
  return {
    [`${prefix}P50`]: at(0.5),
    [`${prefix}P99`]: at(0.99),
    [`${prefix}Max`]: sorted.length === 0 ? null : round(sorted[sorted.length - 1], 3),
    [`${prefix}Samples`]: sorted.length
  }
}

export function round (value: number, digits = 2): number {
  const scale = 10 ** digits
  return Math.round(value * scale) / scale
}

/** Rounds every number of a record, for a readable JSON file. */
export function rounded (record: Record<string, number | string | null>, digits = 3): Metrics {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, typeof value === 'number' ? round(value, digits) : value]))
}
