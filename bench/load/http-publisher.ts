/** Publishes through POST /publish/:topic with a few requests in flight over keep-alive connections. */
import { Agent, request } from 'node:http'
import type { Endpoint } from '../lib/types.js'
import type { DeliveryCounter } from './delivery-counter.js'
import { messageMaker } from './message.js'

export class HttpPublisher {
  sent = 0
  accepted = 0
  failed = 0
  private running = false
  private readonly agent: Agent
  private readonly workers: Promise<void>[] = []
  private readonly baseDelivered: number
  private readonly makeMessage: (seq: number) => string

  constructor (
    private readonly endpoint: Endpoint,
    private readonly topic: string,
    private readonly subscribers: number,
    private readonly concurrency: number,
    private readonly counter: DeliveryCounter,
    padBytes: number,
    /** Most deliveries in flight before a worker waits for the subscribers to catch up. */
    private readonly maxLag = 50_000
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: concurrency })
    this.baseDelivered = counter.delivered
    this.makeMessage = messageMaker(padBytes)
  }

  get expected (): number {
    return this.accepted * this.subscribers
  }

  get received (): number {
    return this.counter.delivered - this.baseDelivered
  }

  start (): void {
    this.running = true
    for (let i = 0; i < this.concurrency; i++) this.workers.push(this.work())
  }

  async stop (): Promise<void> {
    this.running = false
    await Promise.all(this.workers)
    this.agent.destroy()
  }

  private async work (): Promise<void> {
    while (this.running) {
      // the requests of the other workers are counted as in flight too
      if ((this.sent - this.failed) * this.subscribers - this.received > this.maxLag) {
        await this.counter.next()
        continue
      }
      this.sent++
      const ok = await this.post(`{"message":${this.makeMessage(this.sent)}}`)
      if (ok) this.accepted++
      else this.failed++
    }
  }

  private post (body: string): Promise<boolean> {
    return new Promise((resolve) => {
      const req = request({
        host: this.endpoint.host,
        port: this.endpoint.port,
        path: `/publish/${this.topic}`,
        method: 'POST',
        agent: this.agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
      }, (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode === 200))
        res.on('error', () => resolve(false))
      })
      req.on('error', () => resolve(false))
      req.end(body)
    })
  }
}
