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
import type { ConnectionFaults } from './connection-faults.js'
import type { QueuedBytes } from './handle-writes.js'
import type { TrafficFigures } from '../metrics/traffic-figures.js'

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
  error (obj: object, msg: string): void
}

/**
 * Bytes of one turn's frames gathered before they are handed to the socket: past it they go out at
 * once, so a turn (a replay of a whole history, say) never builds one unbounded buffer, and what the
 * client has not read shows in the socket's queue, where the slow-consumer bound sees it.
 */
export const PENDING_FLUSH_BYTES = 256 * 1024

export class ClientConnection implements Subscriber, Batched, QueuedBytes {
  /** Cleared by each heartbeat, set again by the client's pong. */
  alive = true
  /** Bytes written on the socket's handle and still queued in libuv: the stream's bufferedAmount does not count them. */
  handleQueued = 0
  private closed = false
  private readonly access: ConnectionAccess
  private readonly session: Session
  private readonly queue: RequestQueue
  /** This turn's frames, deliveries and replies in order, written out together by flush(). */
  private readonly pending: Buffer[] = []
  private pendingBytes = 0

  constructor (
    private readonly socket: WebSocket,
    private readonly rawSocket: Socket,
    broker: Broker,
    private readonly batcher: WriteBatcher,
    private readonly limits: ConnectionLimits,
    private readonly log: ConnectionLogger,
    { identity, authenticator, clock }: ConnectionIdentity,
    private readonly faults: ConnectionFaults,
    queues: WorkQueue,
    private readonly figures: TrafficFigures
  ) {
    this.access = new ConnectionAccess(identity, authenticator, clock, limits.tokenGraceMs, {
      expired: (graceMs) => this.refuse(ErrorCode.tokenExpired, `The token has expired: send {"action":"auth","token":...} with a new one within ${graceMs} ms`),
      // after the requests already received, which may bring the new token in time
      lapsed: () => this.queue.enqueue(() => { if (this.access.inGrace) this.close(CloseCode.unauthorized, 'token expired') })
    })
    const send = (frame: string): void => this.send(frame)
    const queueRequests = new QueueRequests(queues, { maxWatchedJobs: limits.maxWatchedJobs, maxConsumptions: limits.maxSubscriptions }, send, figures)
    this.session = new Session(broker, this, limits.maxSubscriptions, send, () => this.closed, log,
      this.access, (code, reason) => this.close(code, reason), queueRequests, figures)
    this.queue = new RequestQueue(this.session, (err) => this.fail(err))
    socket.on('message', (data, isBinary) => {
      try {
        this.receive(data, isBinary)
      } catch (err) {
        /* c8 ignore next 2: a guard against bugs; no known frame makes receive() throw */
        this.fail(err)
      }
    })
    socket.on('pong', () => { this.alive = true })
    socket.on('close', () => this.dispose())
    socket.on('error', (err) => this.log.debug({ err }, 'websocket error'))
  }

  /** Queues the shared, ready-framed bytes for this turn's write: no per-subscriber copy or framing. */
  deliver (publication: Publication): boolean {
    if (this.closed || this.socket.readyState !== this.socket.OPEN) return true
    const first = publication.encoded === undefined
    if (!this.write(websocketFrameOf(publication))) return false
    this.figures.wsDeliveries++
    // timed once per publication, however many subscribers it has
    if (first && publication.acceptedAt !== undefined) this.batcher.time(publication)
    return true
  }

  /** Writes this turn's frames; a socket closed meanwhile drops them. */
  flush (): void {
    // the one array is written from and emptied: the writer keeps the frames (or a copy), never the array
    const frames = this.pending
    const open = frames.length > 0 && this.socket.readyState === this.socket.OPEN
    if (open) this.figures.sentBytes.ws += this.pendingBytes
    this.pendingBytes = 0
    try {
      if (open) this.batcher.writer.write(this.rawSocket, frames, this)
      frames.length = 0
    } catch (err) {
      /* c8 ignore next 2: a guard against bugs; writes are bounded, so none is known to throw */
      this.fail(err)
    }
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
      this.figures.rateLimited.ws++
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

  /**
   * Every frame, delivery, replay or reply, counts against the queued-bytes bound: `pending` holds at
   * most PENDING_FLUSH_BYTES of this turn, and the socket's queue what the client left unread, so a
   * client that does not read is cut (4008) however it makes the server write. Returns false on a cut.
   */
  private write (wire: Buffer): boolean {
    // measured before this turn's frames reach the socket: a burst in one turn does not cut a client that reads.
    // The stream's length is ws's bufferedAmount less what ws's sender holds back, which it does only for
    // compressed messages and Blobs, never sent here; read at every delivery, so without ws's getter
    const queued = this.rawSocket.writableLength + this.handleQueued
    if (queued > this.limits.maxQueuedBytes) {
      this.log.warn({ queued }, 'closing a slow consumer')
      this.figures.slowConsumerCuts++
      this.close(CloseCode.slowConsumer, 'slow consumer')
      return false
    }
    if (this.pending.length === 0) this.batcher.hold(this)
    this.pending.push(wire)
    this.pendingBytes += wire.length
    if (this.pendingBytes >= PENDING_FLUSH_BYTES) this.flush()
    return true
  }

  /** An error while serving this connection closes it alone, is logged and counted: it never reaches the process. */
  /* c8 ignore start: reached only through a bug, as every caller's known errors are answered where they arise */
  private fail (err: unknown): void {
    this.faults.count++
    this.log.error({ err }, 'closing a connection after an internal error')
    if (this.closed) return
    this.pending.length = 0
    this.pendingBytes = 0
    this.socket.close(CloseCode.internalError, 'internal error')
    this.dispose()
  }
  /* c8 ignore stop */

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
