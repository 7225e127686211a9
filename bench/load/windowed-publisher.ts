/**
 * Publishes as fast as the server delivers: it keeps a bounded number of deliveries in flight
 * (published times subscribers, less those received), so the server always has work queued
 * and nothing piles up without bound when the server or the generator falls behind.
 */
import type { PublishingClient } from './publishing-client.js'
import type { DeliveryCounter } from './delivery-counter.js'
import type { Dialect } from './dialect.js'
import { messageMaker } from './message.js'

export interface WindowPlan {
  /** Published to in turn. */
  topics: string[]
  /** Deliveries each publish should make. */
  subscribersPerTopic: number
  padBytes: number
  /** Most publishes awaiting a reply at once; unbounded when undefined. */
  maxUnanswered?: number
}

/** Bytes of deliveries kept in flight: enough to keep a server busy, few enough to stay far below any queue limit. */
const IN_FLIGHT_BYTES = 5_000_000
/** A delivery frame's size besides the padding: frame header, envelope, sequence number and time. */
const FRAME_OVERHEAD_BYTES = 100
const MAX_IN_FLIGHT_MESSAGES = 1_000
const BATCH = 256

export class WindowedPublisher {
  sent = 0
  private turn = 0
  private running = false
  private scheduled = false
  private readonly baseDelivered: number
  private readonly baseReplies: number
  private readonly baseErrors: number
  private readonly maxLag: number
  private readonly makeMessage: (seq: number) => string

  constructor (
    /** Publishing connections, used in turn batch by batch. */
    private readonly clients: PublishingClient[],
    private readonly dialect: Dialect,
    private readonly counter: DeliveryCounter,
    private readonly plan: WindowPlan
  ) {
    this.baseDelivered = counter.delivered
    this.baseReplies = sum(clients, (c) => c.replies)
    this.baseErrors = sum(clients, (c) => c.errors)
    const deliveries = IN_FLIGHT_BYTES / (plan.padBytes + FRAME_OVERHEAD_BYTES)
    const messages = Math.min(MAX_IN_FLIGHT_MESSAGES, Math.max(4, Math.round(deliveries / plan.subscribersPerTopic)))
    this.maxLag = messages * plan.subscribersPerTopic
    this.makeMessage = messageMaker(plan.padBytes)
  }

  get answered (): number {
    return sum(this.clients, (c) => c.replies) - this.baseReplies
  }

  get refused (): number {
    return sum(this.clients, (c) => c.errors) - this.baseErrors
  }

  /** Deliveries due for the publishes the server accepted so far. */
  get expected (): number {
    return (this.sent - this.refused) * this.plan.subscribersPerTopic
  }

  get received (): number {
    return this.counter.delivered - this.baseDelivered
  }

  start (): void {
    this.running = true
    this.counter.onProgress = this.schedule
    for (const client of this.clients) client.onAnswer = this.schedule
    this.pump()
  }

  stop (): void {
    this.running = false
    this.counter.onProgress = undefined
    for (const client of this.clients) client.onAnswer = undefined
  }

  private readonly schedule = (): void => {
    if (this.scheduled || !this.running) return
    this.scheduled = true
    setImmediate(this.pump)
  }

  private readonly pump = (): void => {
    this.scheduled = false
    if (!this.running) return
    const { topics, subscribersPerTopic, maxUnanswered } = this.plan
    const client = this.clients[this.turn++ % this.clients.length]
    const texts: string[] = []
    while (texts.length < BATCH && this.expected - this.received + subscribersPerTopic <= this.maxLag) {
      if (maxUnanswered !== undefined && this.sent - this.answered - this.refused >= maxUnanswered) break
      const topic = topics[this.sent % topics.length]
      texts.push(this.dialect.publish(topic, this.makeMessage(this.sent), client.takeId()))
      this.sent++
    }
    if (texts.length > 0) client.sendTexts(texts)
    // a full batch may leave room for more
    if (texts.length === BATCH) this.schedule()
  }
}

function sum (clients: PublishingClient[], figure: (client: PublishingClient) => number): number {
  let total = 0
  for (const client of clients) total += figure(client)
  return total
}
