/**
 * The counts the hot path keeps: plain number fields, one increment per publish, delivery or flush,
 * that the Prometheus counters read at each scrape (a labelled prom-client inc costs a label lookup).
 */

/** Where a message came in or went out; never a topic or a user (unbounded label values). */
export type Transport = 'ws' | 'http' | 'bridge'

export type ClientTransport = 'ws' | 'http'

export class TrafficFigures {
  /** Messages published, by the transport they came in on. */
  readonly publishes: Record<Transport, number> = { ws: 0, http: 0, bridge: 0 }
  /** Message frames handed to WebSocket subscribers (live, replayed, caught up): subscribers are all on sockets. */
  wsDeliveries = 0
  /** Bytes handed to sockets: WebSocket frames with their headers (counted per flush), HTTP reply bodies. */
  readonly sentBytes: Record<ClientTransport, number> = { ws: 0, http: 0 }
  /** Connections closed as slow consumers (4008). */
  slowConsumerCuts = 0
  /** Requests refused as over the rate limit (a socket's are among its errors too, as rate_limited). */
  readonly rateLimited: Record<ClientTransport, number> = { ws: 0, http: 0 }
  /** Errors answered, by code: the contract's error codes and Fastify's and proxyer's HTTP codes, a bounded set. */
  readonly errors: Record<ClientTransport, Map<string, number>> = { ws: new Map(), http: new Map() }

  /** `observePublishToWrite` takes the time from a publish being accepted to its frame written to every local subscriber, in seconds. */
  constructor (readonly observePublishToWrite: (seconds: number) => void) {}

  countError (transport: ClientTransport, code: string): void {
    const counts = this.errors[transport]
    counts.set(code, (counts.get(code) ?? 0) + 1)
  }
}
