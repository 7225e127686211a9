/** One connection's subscriptions, and its requests run on the broker with their replies and error frames. */
import type { AccessAction } from '../access/grants.js'
import { AuthenticationError } from '../access/identity.js'
import { QueuesUnsupportedError } from '../queue/unsupported-queue.js'
import { BrokerOutcomeUnknownError, BrokerUnavailableError, PatternsUnsupportedError, TooManyTopicsError, type Broker, type PublishResult, type Subscriber } from '../broker/broker.js'
import { CloseCode, ErrorCode, isTopicPattern } from '../contract/codes.js'
import { errorFrame, replyFrame } from '../contract/frames.js'
import type { ClientRequest, Position, RequestIdValue } from '../contract/schemas.js'
import type { ConnectionAccess } from './connection-access.js'
import type { QueueRequests } from './queue-requests.js'
import type { TrafficFigures } from '../metrics/traffic-figures.js'

export interface SessionLogger {
  warn (obj: object, msg: string): void
}

/** A request its identity may not make, refused in its turn (a publish is checked before it starts ahead of its turn). */
class Forbidden extends Error {}

export class Session {
  private readonly topics = new Set<string>()

  /**
   * `subscriber` receives the topics' publications; `send` takes reply frames, in order with them;
   * `isClosed` tells a request in its turn that the connection has gone; `access` judges every request
   * before it runs, and `close` ends a connection whose credentials are refused.
   */
  constructor (
    private readonly broker: Broker,
    private readonly subscriber: Subscriber,
    private readonly maxSubscriptions: number,
    private readonly send: (frame: string) => void,
    private readonly isClosed: () => boolean,
    private readonly log: SessionLogger,
    private readonly access: ConnectionAccess,
    private readonly close: (code: number, reason: string) => void,
    private readonly queueRequests: QueueRequests,
    private readonly figures: TrafficFigures
  ) {}

  startPublish (request: { topic: string, message: unknown, key?: string }): Promise<PublishResult> {
    if (!this.access.permits('publish', request.topic)) return Promise.reject(new Forbidden(this.refusal('publish', request.topic)))
    return this.broker.publish(request.topic, request.message, request.key)
  }

  /**
   * Whether the connection may do `action` on `name`; when not, the client gets `forbidden` and the
   * connection stays open. Every action on a topic or queue asks this before it runs.
   */
  permit (action: AccessAction, name: string, id: RequestIdValue | undefined): boolean {
    if (this.access.permits(action, name)) return true
    this.sendError(ErrorCode.forbidden, this.refusal(action, name), id)
    return false
  }

  async run (request: ClientRequest, publishing?: Promise<PublishResult>): Promise<void> {
    if (this.isClosed()) return
    try {
      switch (request.action) {
        case 'subscribe': return await this.subscribe(request.topic, request.since, request.id)
        case 'unsubscribe': return await this.unsubscribe(request.topic, request.id)
        case 'publish': return await this.publish(publishing ?? this.startPublish(request), request.id)
        case 'ping': return this.send(replyFrame('pong', request.id, {}))
        case 'auth': return await this.authenticate(request.token, request.id)
        // watching a job needs what queuing it needs; ack, nack and cancel act on this connection's consume
        case 'enqueue':
        case 'watch':
          if (!this.permit('enqueue', request.queue, request.id)) return
          return await this.queueRequests.run(request)
        case 'consume':
          if (!this.permit('consume', request.queue, request.id)) return
          return await this.queueRequests.run(request)
        default: return await this.queueRequests.run(request)
      }
    } catch (err) {
      if (err instanceof Forbidden) {
        this.sendError(ErrorCode.forbidden, err.message, request.id)
      } else if (err instanceof TooManyTopicsError) {
        this.sendError(ErrorCode.tooManyTopics, err.message, request.id)
      } else if (err instanceof QueuesUnsupportedError) {
        this.sendError(ErrorCode.unavailable, err.message, request.id)
      } else if (err instanceof PatternsUnsupportedError) {
        this.sendError(ErrorCode.invalidRequest, err.message, request.id)
      } else if (err instanceof BrokerUnavailableError) {
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
    this.figures.countError('ws', code)
    this.send(errorFrame(code, error, id))
  }

  /** Leaves every topic, returns its held jobs and drops its watches, once the connection has closed. */
  async leaveAll (): Promise<void> {
    const topics = [...this.topics]
    this.topics.clear()
    await Promise.all([...topics.map(async (topic) => this.leave(topic)), this.queueRequests.close()])
  }

  /** A pattern's subscription is the broker's apart, as it names no one topic. */
  private async leave (topic: string): Promise<void> {
    if (isTopicPattern(topic)) await this.broker.unsubscribePattern(topic, this.subscriber)
    else await this.broker.unsubscribe(topic, this.subscriber)
  }

  /**
   * A new identity for the connection; bad credentials end it (unauthorized, then 4001), as on the upgrade.
   * Subscriptions the new identity may not hold are left first, each told with `unsubscribed` and `forbidden`.
   */
  private async authenticate (token: string, id: RequestIdValue | undefined): Promise<void> {
    try {
      this.access.authenticate(token)
    } catch (err) {
      /* c8 ignore next: authenticate throws only AuthenticationError */
      if (!(err instanceof AuthenticationError)) throw err
      this.sendError(ErrorCode.unauthorized, `${err.message}; send a valid token`, id)
      this.close(CloseCode.unauthorized, 'unauthorized')
      return
    }
    await this.leaveForbidden()
    if (id !== undefined) this.send(replyFrame('authenticated', id, {}))
  }

  /** A refreshed token may grant less: what it may not subscribe to is left, and the client told why. */
  private async leaveForbidden (): Promise<void> {
    for (const topic of [...this.topics]) {
      if (this.access.permits('subscribe', topic)) continue
      this.topics.delete(topic)
      await this.leave(topic)
      this.send(replyFrame('unsubscribed', undefined, { topic, code: ErrorCode.forbidden, error: this.refusal('subscribe', topic) }))
    }
  }

  private refusal (action: AccessAction, name: string): string {
    const { identity } = this.access
    if (identity.kind === 'anonymous') return `A token is needed to ${action} on "${name}": connect with ?token= or send {"action":"auth","token":...}`
    return `The token of "${identity.id}" may not ${action} on "${name}"`
  }

  /** With `since`, the reply always comes (the client needs `recovered`), after the replayed messages. */
  private async subscribe (topic: string, since: Position | undefined, id: RequestIdValue | undefined): Promise<void> {
    if (!this.permit('subscribe', topic, id)) return
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
    if (isTopicPattern(topic)) {
      // positions are per topic, so a pattern's reply has none (since was refused with the request)
      await this.broker.subscribePattern(topic, this.subscriber)
      this.topics.add(topic)
      if (id !== undefined) this.send(replyFrame('subscribed', id, { topic }))
      return
    }
    const result = await this.broker.subscribe(topic, this.subscriber, since)
    this.topics.add(topic)
    if (id !== undefined || since !== undefined) this.send(replyFrame('subscribed', id, { topic, ...result }))
  }

  private async unsubscribe (topic: string, id: RequestIdValue | undefined): Promise<void> {
    if (this.topics.delete(topic)) await this.leave(topic)
    if (id !== undefined) this.send(replyFrame('unsubscribed', id, { topic }))
  }

  private async publish (publishing: Promise<PublishResult>, id: RequestIdValue | undefined): Promise<void> {
    const result = await publishing
    this.figures.publishes.ws++
    if (id !== undefined) this.send(replyFrame('published', id, { ...result }))
  }
}
