/** One WebSocket client: parses and checks its requests, runs them on the broker, receives its topics. */
import type { Socket } from 'node:net'
import type { RawData, WebSocket } from 'ws'
import type { ValueError } from '@sinclair/typebox/errors'
import { BrokerUnavailableError, type Broker, type PublishResult, type Subscriber } from './broker/broker.js'
import {
  CloseCode, ErrorCode, errorFrame, isValidTopic, MAX_JSON_DEPTH, TOPIC_RULE, replyFrame, requestCheckers,
  type Action, type ClientRequest, type Position, type RequestIdValue
} from './protocol.js'
import { writeFrames, type Batched, type WriteBatcher } from './write-batcher.js'
import { textFrame, type PublishFrame } from './publish-frame.js'
import { nestsDeeperThan } from './transport/json-depth.js'

export interface ConnectionLimits {
  maxSubscriptions: number
  /** Requests a second; past it requests are refused, past twice it the connection is closed. */
  rateLimitPerSecond: number
  /** Bytes queued for a client that does not read; past it the connection is closed. */
  maxQueuedBytes: number
}

export interface ConnectionLogger {
  debug (obj: object, msg: string): void
  warn (obj: object, msg: string): void
}

export class ClientConnection implements Subscriber, Batched {
  /** Cleared by each heartbeat, set again by the client's pong. */
  alive = true
  private readonly topics = new Set<string>()
  /** Requests run one after another, so replies and effects keep the client's order. */
  private queue: Promise<void> = Promise.resolve()
  private closed = false
  private windowStart = 0
  private windowCount = 0
  /** Subscribes and the like still queued: a publish behind one must wait for it to run. */
  private waitingNonPublishes = 0
  /** This turn's frames, deliveries and replies in order, written out together by flush(). */
  private readonly pending: Buffer[] = []

  constructor (
    private readonly socket: WebSocket,
    private readonly rawSocket: Socket,
    private readonly broker: Broker,
    private readonly batcher: WriteBatcher,
    private readonly limits: ConnectionLimits,
    private readonly log: ConnectionLogger
  ) {
    socket.on('message', (data, isBinary) => this.receive(data, isBinary))
    socket.on('pong', () => { this.alive = true })
    socket.on('close', () => this.dispose())
    socket.on('error', (err) => this.log.debug({ err }, 'websocket error'))
  }

  /** Queues the shared, ready-framed bytes for this turn's write: no per-subscriber copy or framing. */
  deliver (frame: PublishFrame): boolean {
    if (this.closed || this.socket.readyState !== this.socket.OPEN) return true
    // this turn's frames wait in `pending`, so the socket's queue holds only what earlier turns left
    // unsent: a client that does not read (a burst from Redis may bring many frames in one turn)
    if (this.socket.bufferedAmount > this.limits.maxQueuedBytes) {
      this.log.warn({ queued: this.socket.bufferedAmount }, 'closing a slow consumer')
      this.close(CloseCode.slowConsumer, 'slow consumer')
      return false
    }
    this.write(frame.wire)
    return true
  }

  /** Writes this turn's frames; a socket closed meanwhile drops them. */
  flush (): void {
    if (this.pending.length > 0 && this.socket.readyState === this.socket.OPEN) writeFrames(this.rawSocket, this.pending)
    this.pending.length = 0
  }

  /** Pings the client; a client that did not answer the previous ping is dropped. */
  heartbeat (): void {
    if (!this.alive) {
      this.log.debug({}, 'dropping a connection that missed its ping')
      this.socket.terminate()
      return
    }
    this.alive = false
    this.socket.ping()
  }

  /** Closes with a close frame; subscriptions go at once, not after the client's close handshake. */
  close (code: number, reason: string): void {
    // the frames of this turn go out before the close frame
    this.flush()
    this.socket.close(code, reason)
    this.dispose()
  }

  private receive (data: RawData, isBinary: boolean): void {
    this.alive = true
    const allowance = this.rateAllowance()
    if (allowance === 'cut') {
      this.close(CloseCode.policyViolation, 'rate limit exceeded')
      return
    }
    if (isBinary) {
      this.refuse(ErrorCode.unsupportedData, 'Binary frames are not supported: send each request as a JSON text frame')
      return
    }
    const request = this.parse(data.toString())
    if (request === undefined) return
    if (allowance === 'refuse') {
      this.refuse(ErrorCode.rateLimited, `Too many requests: at most ${this.limits.rateLimitPerSecond} a second; this one was dropped`, request.id)
      return
    }
    if (request.action === 'publish' && this.waitingNonPublishes === 0) {
      // publishes behind nothing but publishes go to the broker at once, pipelined (Redis keeps
      // their order); only their replies wait their turn
      const publishing = this.broker.publish(request.topic, request.message)
      publishing.catch(() => {}) // handled in its turn below
      this.enqueue(() => this.run(request, publishing))
      return
    }
    if (request.action !== 'publish') this.waitingNonPublishes++
    this.enqueue(async () => {
      await this.run(request)
      if (request.action !== 'publish') this.waitingNonPublishes--
    })
  }

  /** Requests past the limit in one second are refused; a client sending twice the limit is cut off. */
  private rateAllowance (): 'serve' | 'refuse' | 'cut' {
    const now = Date.now()
    if (now - this.windowStart >= 1000) {
      this.windowStart = now
      this.windowCount = 0
    }
    this.windowCount++
    if (this.windowCount <= this.limits.rateLimitPerSecond) return 'serve'
    return this.windowCount > 2 * this.limits.rateLimitPerSecond ? 'cut' : 'refuse'
  }

  /** Replies and effects keep the order of the client's requests, errors included. */
  private enqueue (work: () => void | Promise<void>): void {
    this.queue = this.queue.then(work)
  }

  /** Returns the request when it is well formed; otherwise answers with an error frame. */
  private parse (text: string): ClientRequest | undefined {
    if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
      // refused before parsing: JSON.parse would recurse through it all, holding up every other client
      this.refuse(ErrorCode.invalidRequest, `The frame nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays`)
      return undefined
    }
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      this.refuse(ErrorCode.badJson, 'The frame is not valid JSON')
      return undefined
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.refuse(ErrorCode.invalidRequest, 'A request must be a JSON object with an "action"')
      return undefined
    }
    const fields = value as Record<string, unknown>
    const id = requestId(fields.id)
    if (typeof fields.action !== 'string') {
      this.refuse(ErrorCode.invalidRequest, 'A request must have an "action" string', id)
      return undefined
    }
    if (!Object.hasOwn(requestCheckers, fields.action)) {
      this.refuse(ErrorCode.unknownAction, `Unknown action "${clip(fields.action)}": use subscribe, unsubscribe, publish or ping`, id)
      return undefined
    }
    const checker = requestCheckers[fields.action as Action]
    if (!checker.Check(value)) {
      // a failed Check has at least one error; requests are objects, so its path names a field
      const { path, message } = checker.Errors(value).First() as ValueError
      this.refuse(ErrorCode.invalidRequest, `Invalid ${fields.action} request: "${path.slice(1)}": ${message}`, id)
      return undefined
    }
    const request = value as ClientRequest
    if (request.action !== 'ping' && !isValidTopic(request.topic)) {
      this.refuse(ErrorCode.invalidTopic, `Invalid topic "${clip(request.topic)}": use ${TOPIC_RULE}`, id)
      return undefined
    }
    return request
  }

  private async run (request: ClientRequest, publishing?: Promise<PublishResult>): Promise<void> {
    if (this.closed) return
    try {
      switch (request.action) {
        case 'subscribe': return await this.subscribe(request.topic, request.since, request.id)
        case 'unsubscribe': return await this.unsubscribe(request.topic, request.id)
        case 'publish': return await this.publish(publishing ?? this.broker.publish(request.topic, request.message), request.id)
        case 'ping': return this.send(replyFrame('pong', request.id, {}))
      }
    } catch (err) {
      if (err instanceof BrokerUnavailableError) {
        this.sendError(ErrorCode.unavailable, `${err.message}; try again shortly`, request.id)
      /* c8 ignore start: a guard against bugs, as brokers fail only with BrokerUnavailableError */
      } else {
        this.log.warn({ err, action: request.action }, 'request failed')
        this.sendError(ErrorCode.internal, 'The server could not run this request', request.id)
      }
      /* c8 ignore stop */
    }
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
      await this.broker.unsubscribe(topic, this)
    }
    if (this.topics.size >= this.limits.maxSubscriptions) {
      this.sendError(ErrorCode.tooManySubscriptions, `A connection may hold at most ${this.limits.maxSubscriptions} subscriptions`, id)
      return
    }
    const result = await this.broker.subscribe(topic, this, since)
    this.topics.add(topic)
    if (id !== undefined || since !== undefined) this.send(replyFrame('subscribed', id, { topic, ...result }))
  }

  private async unsubscribe (topic: string, id: RequestIdValue | undefined): Promise<void> {
    if (this.topics.delete(topic)) await this.broker.unsubscribe(topic, this)
    if (id !== undefined) this.send(replyFrame('unsubscribed', id, { topic }))
  }

  private async publish (publishing: Promise<PublishResult>, id: RequestIdValue | undefined): Promise<void> {
    const result = await publishing
    if (id !== undefined) this.send(replyFrame('published', id, { ...result }))
  }

  /** Replies join this turn's deliveries in order, so a recovery's reply still follows its replayed messages. */
  private send (frame: string): void {
    if (this.closed || this.socket.readyState !== this.socket.OPEN) return
    this.write(textFrame(frame))
  }

  private write (wire: Buffer): void {
    if (this.pending.length === 0) this.batcher.hold(this)
    this.pending.push(wire)
  }

  private sendError (code: ErrorCode, error: string, id?: RequestIdValue): void {
    this.send(errorFrame(code, error, id))
  }

  /** Answers a request refused before it ran, in its turn among the requests still running. */
  private refuse (code: ErrorCode, error: string, id?: RequestIdValue): void {
    this.enqueue(() => this.sendError(code, error, id))
  }

  /** Runs after the requests already queued, so none of them can subscribe after cleanup. */
  private dispose (): void {
    if (this.closed) return
    this.closed = true
    this.queue = this.queue.then(async () => {
      const topics = [...this.topics]
      this.topics.clear()
      await Promise.all(topics.map((topic) => this.broker.unsubscribe(topic, this)))
    })
  }
}

function requestId (value: unknown): RequestIdValue | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string' && value.length <= 128) return value
  return undefined
}

/** Keeps error sentences short whatever the client sent. */
function clip (text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text
}
