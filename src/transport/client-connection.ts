/** One WebSocket client: its socket's listeners, heartbeat and slow-consumer policy, and the path of its frames in and out. */
import type { Socket } from 'node:net'
import type { RawData, WebSocket } from 'ws'
import type { Identity, RateLimit } from '../access/identity.js'
import type { Broker, Subscriber } from '../broker/broker.js'
import type { Publication } from '../broker/publication.js'
import { CloseCode, ErrorCode } from '../contract/codes.js'
import type { RequestIdValue } from '../contract/schemas.js'
import type { Clock } from './clock.js'
import { type Authenticator, ConnectionAccess } from './connection-access.js'
import { parseRequest, Refusal } from './request-parser.js'
import { RequestQueue } from './request-queue.js'
import { QueueRequests } from './queue-requests.js'
import type { WorkQueue } from '../queue/work-queue.js'
import { Session } from './session.js'
import { encodeTextFrame, websocketFrameOf } from './websocket-frame.js'
import type { Batched, WriteBatcher } from './write-batcher.js'

export interface ConnectionLimits {
  maxSubscriptions: number
  /** How long a connection whose token expired has to send a new one. */
  tokenGraceMs: number
  /** Bytes queued for a client that does not read; past it the connection is closed. */
  maxQueuedBytes: number
  /** Jobs followed at once (queued here or watched). */
  maxWatchedJobs: number
}

/** Who the connection is (from its upgrade), how a later credential is judged, and the time both go by. */
export interface ConnectionIdentity {
  identity: Identity
  authenticator: Authenticator
  clock: Clock
}

export interface ConnectionLogger {
  debug (obj: object, msg: string): void
  warn (obj: object, msg: string): void
}

export class ClientConnection implements Subscriber, Batched {
  /** Cleared by each heartbeat, set again by the client's pong. */
  alive = true
  private closed = false
  private readonly access: ConnectionAccess
  private readonly session: Session
  private readonly queue: RequestQueue
  /** This turn's frames, deliveries and replies in order, written out together by flush(). */
  private readonly pending: Buffer[] = []

  constructor (
    private readonly socket: WebSocket,
    private readonly rawSocket: Socket,
    broker: Broker,
    private readonly batcher: WriteBatcher,
    private readonly limits: ConnectionLimits,
    private readonly log: ConnectionLogger,
    { identity, authenticator, clock }: ConnectionIdentity,
    queues: WorkQueue
  ) {
    this.access = new ConnectionAccess(identity, authenticator, clock, limits.tokenGraceMs, {
      expired: (graceMs) => this.refuse(ErrorCode.tokenExpired, `The token has expired: send {"action":"auth","token":...} with a new one within ${graceMs} ms`),
      // after the requests already received, which may bring the new token in time
      lapsed: () => this.queue.enqueue(() => { if (this.access.inGrace) this.close(CloseCode.unauthorized, 'token expired') })
    })
    const send = (frame: string): void => this.send(frame)
    const queueRequests = new QueueRequests(queues, { maxWatchedJobs: limits.maxWatchedJobs, maxConsumptions: limits.maxSubscriptions }, send)
    this.session = new Session(broker, this, limits.maxSubscriptions, send, () => this.closed, log,
      this.access, (code, reason) => this.close(code, reason), queueRequests)
    this.queue = new RequestQueue(this.session)
    socket.on('message', (data, isBinary) => this.receive(data, isBinary))
    socket.on('pong', () => { this.alive = true })
    socket.on('close', () => this.dispose())
    socket.on('error', (err) => this.log.debug({ err }, 'websocket error'))
  }

  /** Queues the shared, ready-framed bytes for this turn's write: no per-subscriber copy or framing. */
  deliver (publication: Publication): boolean {
    if (this.closed || this.socket.readyState !== this.socket.OPEN) return true
    // this turn's frames wait in `pending`, so the socket's queue holds only what earlier turns left
    // unsent: a client that does not read (a burst from Redis may bring many frames in one turn)
    if (this.socket.bufferedAmount > this.limits.maxQueuedBytes) {
      this.log.warn({ queued: this.socket.bufferedAmount }, 'closing a slow consumer')
      this.close(CloseCode.slowConsumer, 'slow consumer')
      return false
    }
    this.write(websocketFrameOf(publication))
    return true
  }

  /** Writes this turn's frames; a socket closed meanwhile drops them. */
  flush (): void {
    if (this.pending.length > 0 && this.socket.readyState === this.socket.OPEN) this.batcher.writer.write(this.rawSocket, this.pending)
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
    const admitted = this.access.admit()
    if (isBinary) {
      this.refuse(ErrorCode.unsupportedData, 'Binary frames are not supported: send each request as a JSON text frame')
      return
    }
    const request = parseRequest(data.toString())
    if (request instanceof Refusal) {
      this.refuse(request.code, request.error, request.id)
      return
    }
    if (!admitted) {
      // answered like any other refusal, never dropped: a client that keeps flooding only gets more refusals
      const { perSecond, burst } = this.access.identity.rateLimit as RateLimit
      this.refuse(ErrorCode.rateLimited, `Too many requests: at most ${perSecond} a second (${burst} at once); this one was not run, send it again later`, request.id)
      return
    }
    this.queue.submit(request)
  }

  /** Replies join this turn's deliveries in order, so a recovery's reply still follows its replayed messages. */
  private send (frame: string): void {
    if (this.closed || this.socket.readyState !== this.socket.OPEN) return
    this.write(encodeTextFrame(frame))
  }

  private write (wire: Buffer): void {
    if (this.pending.length === 0) this.batcher.hold(this)
    this.pending.push(wire)
  }

  /** Answers a request refused before it ran, in its turn among the requests still running. */
  private refuse (code: ErrorCode, error: string, id?: RequestIdValue): void {
    this.queue.enqueue(() => this.session.sendError(code, error, id))
  }

  /** Runs after the requests already queued, so none of them can subscribe after cleanup. */
  private dispose (): void {
    if (this.closed) return
    this.closed = true
    this.access.stop()
    this.queue.enqueue(() => this.session.leaveAll())
  }
}
