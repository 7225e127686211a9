/** Types of probe.mjs, which is plain JavaScript so that the root type check needs none of bench/node_modules. */
import type { DeliveryCounter } from './delivery-counter.js'
import type { Endpoint, ServerKind } from '../lib/types.js'

export interface Probe {
  received: number
  /** Messages whose sequence number was not above the previous one's. */
  outOfOrder: number
  /** Milliseconds from publish to receipt, one per message. */
  latencies: number[]
  close (): void
}

export function openProbe (options: { server: ServerKind, endpoint: Endpoint, topic: string, counter: DeliveryCounter }): Promise<Probe>
