/** One connection's subscriptions, and its requests run on the broker with their replies and error frames. */
import { BrokerOutcomeUnknownError, BrokerUnavailableError, type Broker, type PublishResult, type Subscriber } from '../broker/broker.js'
import { ErrorCode } from '../contract/codes.js'
import { errorFrame, replyFrame } from '../contract/frames.js'
import type { ClientRequest, Position, RequestIdValue } from '../contract/schemas.js'

export interface SessionLogger {
  warn (obj: object, msg: string): void
}

export class Session {
  private readonly topics = new Set<string>()

  /**
   * `subscriber` receives the topics' publications; `send` takes reply frames, in order with them;
   * `isClosed` tells a request in its turn that the connection has gone.
   */
  constructor (
    private readonly broker: Broker,
    private readonly subscriber: Subscriber,
    private readonly maxSubscriptions: number,
    private readonly send: (frame: string) => void,
    private readonly isClosed: () => boolean,
    private readonly log: SessionLogger
  ) {}

  startPublish (request: { topic: string, message: unknown }): Promise<PublishResult> {
    return this.broker.publish(request.topic, request.message)
  }

  async run (request: ClientRequest, publishing?: Promise<PublishResult>): Promise<void> {
    if (this.isClosed()) return
    try {
      switch (request.action) {
        case 'subscribe': return await this.subscribe(request.topic, request.since, request.id)
        case 'unsubscribe': return await this.unsubscribe(request.topic, request.id)
        case 'publish': return await this.publish(publishing ?? this.startPublish(request), request.id)
        case 'ping': return this.send(replyFrame('pong', request.id, {}))
      }
    } catch (err) {
      if (err instanceof BrokerUnavailableError) {
        this.sendError(ErrorCode.unavailable, `${err.message}; try again shortly`, request.id)
      } else if (err instanceof BrokerOutcomeUnknownError) {
        this.sendError(ErrorCode.outcomeUnknown, err.message, request.id)
      /* c8 ignore start: a guard against bugs, as brokers fail only with BrokerUnavailableError */
      } else {
        this.log.warn({ err, action: request.action }, 'request failed')
        this.sendError(ErrorCode.internal, 'The server could not run this request', request.id)
      }
      /* c8 ignore stop */
    }
  }

  sendError (code: ErrorCode, error: string, id?: RequestIdValue): void {
    this.send(errorFrame(code, error, id))
  }

  /** Leaves every topic, once the connection has closed. */
  async leaveAll (): Promise<void> {
    const topics = [...this.topics]
    this.topics.clear()
    await Promise.all(topics.map((topic) => this.broker.unsubscribe(topic, this.subscriber)))
  }

  /** With `since`, the reply always comes (the client needs `recovered`), after the replayed messages. */
  private async subscribe (topic: string, since: Position | undefined, id: RequestIdValue | undefined): Promise<void> {
    if (this.topics.has(topic)) {
      if (since === undefined) {
        if (id !== undefined) this.send(replyFrame('subscribed', id, { topic }))
        return
      }
      // a client that saw a gap asks again from where it is: recover afresh
      this.topics.delete(topic)
      await this.broker.unsubscribe(topic, this.subscriber)
    }
    if (this.topics.size >= this.maxSubscriptions) {
      this.sendError(ErrorCode.tooManySubscriptions, `A connection may hold at most ${this.maxSubscriptions} subscriptions`, id)
      return
    }
    const result = await this.broker.subscribe(topic, this.subscriber, since)
    this.topics.add(topic)
    if (id !== undefined || since !== undefined) this.send(replyFrame('subscribed', id, { topic, ...result }))
  }

  private async unsubscribe (topic: string, id: RequestIdValue | undefined): Promise<void> {
    if (this.topics.delete(topic)) await this.broker.unsubscribe(topic, this.subscriber)
    if (id !== undefined) this.send(replyFrame('unsubscribed', id, { topic }))
  }

  private async publish (publishing: Promise<PublishResult>, id: RequestIdValue | undefined): Promise<void> {
    const result = await publishing
    if (id !== undefined) this.send(replyFrame('published', id, { ...result }))
  }
}
