/** proxyer's client SDK: one WebSocket to /message that reconnects, resumes every topic where it left off, and settles requests as promises. */
// the wire contract's dependency-free part; a browser loads it beside /client.js (routes/client.ts)
import { CloseCode, ErrorCode, isTopicPattern, isValidTopicFilter, topicMatches } from '../src/contract/codes.js'

import { JobError, QueueJob } from './queue-job.js'

export { CloseCode, ErrorCode, isValidTopic, isTopicPattern, TOPIC_RULE } from '../src/contract/codes.js'
export { JobError, QueueJob } from './queue-job.js'

/** A job pushed to consume()'s handler. */
export interface DeliveredJob {
  queue: string
  job: string
  message: unknown
  /** 1 on the first delivery, one more on each redelivery: use `job` as the idempotency key. */
  attempt: number
}

export type JobHandler = (job: DeliveredJob) => unknown

/** Where a client stands in a topic: the last offset it received, in the topic's epoch. */
export interface Position {
  offset: number
  epoch: string
}

/** A message received on a subscribed topic. */
export interface Delivery extends Position {
  topic: string
  message: unknown
}

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed'

/**
 * Where a subscription stands: `pending` until the server confirms it (again after each reconnect),
 * `active` once it did, `failed` while the server keeps refusing it for a reason that may pass
 * (e.g. `unavailable`: its Redis is down): the client goes on asking, and says so once.
 */
export type SubscriptionState = 'pending' | 'active' | 'failed'

export interface SubscriptionEvent {
  topic: string
  state: SubscriptionState
  /** With `failed`: the server's last refusal. */
  error?: ProxyerError
}

/** The connection is down: the next attempt (the `attempt`th in a row, from 0) starts in `delayMs` unless reconnectNow() comes first. */
export interface RetryEvent {
  attempt: number
  delayMs: number
}

/**
 * The client could not carry a topic on without a hole: the app should reload that topic
 * (e.g. from GET /topics/:topic/history) as of `offset` in `epoch`; the messages after it follow.
 */
export interface ResetEvent extends Position {
  topic: string
  /** `epoch_changed`: the topic's history was lost (e.g. Redis restarted); `not_recovered`: the missed messages fell out of it. */
  reason: 'epoch_changed' | 'not_recovered'
}

/**
 * Messages of topics a pattern names may have been missed: the client was reconnected (`reconnected`), or the
 * server's own link to Redis broke (`server_interrupted`). A pattern has no position to resume from: reload the
 * topics that matter by name (e.g. GET /topics/:topic/history); live messages go on.
 */
export interface MissedEvent {
  pattern: string
  reason: 'reconnected' | 'server_interrupted'
}

/** The topic's position when the server took the subscription; the messages after `offset` follow. */
export interface SubscribeResult extends Position {
  /** Only when resuming from a position: whether every missed message was replayed. */
  recovered?: boolean
}

export interface PublishResult extends Position {
  /** How many subscribers the message was handed to. */
  subscribers: number
}

export interface ClientEvents {
  message: Delivery
  state: ConnectionState
  reset: ResetEvent
  missed: MissedEvent
  subscription: SubscriptionEvent
  retry: RetryEvent
  /**
   * What the app should know and no promise reports: a subscription refused `failAfter` times in a
   * row (its code, e.g. `unavailable`), a server it cannot reach after `failAfter` attempts
   * (`unreachable`), a frame the server could not read. The client keeps trying either way.
   */
  error: ProxyerError
}

/** The few members of the standard WebSocket the client uses, met by the browser's and by the `ws` package's. */
export interface WebSocketLike {
  readonly readyState: number
  // `never` lets both the DOM's and ws's typed handlers fit
  onopen: ((event: never) => void) | null
  onmessage: ((event: never) => void) | null
  onclose: ((event: never) => void) | null
  onerror: ((event: never) => void) | null
  send (data: string): void
  close (code?: number, reason?: string): void
}

export type WebSocketConstructor = new (url: string) => WebSocketLike

export interface ProxyerClientOptions {
  /** The WebSocket class; defaults to the global one. Node 20 has none: pass `(await import('ws')).default`. */
  WebSocket?: WebSocketConstructor
  /** The first reconnect waits up to this long (500 ms); each failed attempt doubles it. */
  reconnectDelayMs?: number
  /** The cap on the reconnect delay (10 s). */
  maxReconnectDelayMs?: number
  /** The delay before the `attempt`th retry in a row (from 0), of the connection or of a refused subscription; replaces the jittered doubling above, e.g. for tests. */
  backoff?: (attempt: number) => number
  /** A connection not open after this long is dropped and tried again (10 s). */
  connectTimeoutMs?: number
  /** After this many failed retries in a row of a subscription or of the connection, an `error` event says so (3). */
  failAfter?: number
  /** Its `online` event retries at once; defaults to the browser's window (none in Node). */
  window?: EventTarget
  /** Its `visibilitychange` to visible retries at once; defaults to the browser's document (none in Node). */
  document?: EventTarget & { readonly visibilityState: string }
  /**
   * Where the client gets its token (a JWT from your backend), sync or async: asked on every connect
   * (sent as `?token=`) and again before the token's `exp`, sent then as an auth frame on the live connection.
   */
  getToken?: () => string | Promise<string>
  /** How long before the token's `exp` a new one is asked for (10 s; at most half the token's life). */
  tokenRefreshMarginMs?: number
}

/**
 * An error frame from the server, with its `code` (e.g. `unavailable`: retry later), or a
 * failure of the client itself: `connection_lost` (the reply never came), `closed` (close()
 * was called) or `unsubscribed` (the topic was left before the server confirmed it).
 */
export class ProxyerError extends Error {
  constructor (readonly code: string, message: string, readonly topic?: string) {
    super(message)
    this.name = 'ProxyerError'
  }
}

export type Verdict = 'deliver' | 'duplicate' | 'gap' | 'new_epoch'

/** A topic's last delivered position, and what to make of each delivery against it. */
export class TopicPosition {
  /** Undefined until the server says where the topic stands. */
  private current: Position | undefined

  constructor (start?: Position) {
    this.current = start === undefined ? undefined : { ...start }
  }

  get known (): Position | undefined {
    return this.current === undefined ? undefined : { ...this.current }
  }

  moveTo (offset: number, epoch: string): void {
    this.current = { offset, epoch }
  }

  /** Judges a delivery; only the one that comes next (or the first ever) moves the position. */
  accept (offset: number, epoch: string): Verdict {
    const current = this.current
    if (current === undefined) {
      this.current = { offset, epoch }
      return 'deliver'
    }
    if (epoch !== current.epoch) return 'new_epoch'
    if (offset <= current.offset) return 'duplicate'
    if (offset > current.offset + 1) return 'gap'
    current.offset = offset
    return 'deliver'
  }
}

type Timer = ReturnType<typeof setTimeout>
type Listener<T> = (value: T) => void

interface Settler<T> {
  resolve (value: T): void
  reject (err: Error): void
}

interface Subscription {
  state: SubscriptionState
  /** A pattern's subscription: no position, its deliveries passed on as they come. */
  pattern: boolean
  /** The server has confirmed it at least once: a pattern confirmed again may have missed messages meanwhile. */
  confirmed: boolean
  position: TopicPosition
  /** The id of the subscribe request in flight; deliveries are held until its reply. */
  request?: number
  /** A refused subscribe waiting to be sent again; deliveries are held meanwhile. */
  retry?: Timer
  retries: number
  held: Delivery[]
  /** subscribe() calls waiting for the server's reply. */
  waiters: Array<Settler<SubscribeResult>>
  /** Reported once the recovery under way ends. */
  resetReason?: ResetEvent['reason']
}

type Request =
  | { kind: 'auth' }
  | { kind: 'subscribe', topic: string }
  | { kind: 'unsubscribe', topic: string, settle: Settler<void> }
  /** `uncertain`: an attempt may have been published (outcome_unknown), so no later refusal is final; `retries` in a row. */
  | { kind: 'publish', topic: string, settle: Settler<PublishResult>, frame: string, sent: boolean, uncertain: boolean, retries: number }
  | { kind: 'enqueue', topic: string, settle: Settler<QueueJob>, frame: string, sent: boolean }
  | { kind: 'watch', topic: string, job: QueueJob }
  | { kind: 'consume', topic: string }

interface Consumer {
  handler: JobHandler
  prefetch: number
}

/** Server error codes after which a subscribe is sent again later rather than given up. */
const RETRYABLE = new Set<string>([ErrorCode.unavailable, ErrorCode.rateLimited, ErrorCode.internal])
const OPEN = 1
/** The browser's globals, absent in Node. */
const browser = globalThis as Pick<ProxyerClientOptions, 'window' | 'document'>

/**
 * A connection to proxyer's /message that outlives network failures: it reconnects with
 * capped exponential backoff and jitter, resubscribes every topic from the last message it
 * delivered (so none is lost or repeated while the server's history holds them), drops
 * duplicates and fills gaps. When it cannot, it emits `reset` for the topic.
 *
 * @example
 * const client = new ProxyerClient('wss://example.org/message')
 * client.on('message', ({ topic, message }) => render(topic, message))
 * client.on('reset', ({ topic }) => reload(topic))
 * await client.subscribe('booked')
 */
export class ProxyerClient {
  private readonly WebSocket: WebSocketConstructor
  private readonly backoff: (attempt: number) => number
  private readonly connectTimeoutMs: number
  private readonly failAfter: number
  private readonly getToken: (() => string | Promise<string>) | undefined
  private readonly tokenRefreshMarginMs: number
  private refreshTimer: Timer | undefined
  /** The token the connection was opened with, refreshed once it is open. */
  private token: string | undefined
  /** Stops listening to the window's and document's events. */
  private readonly unwatch: () => void
  private readonly listeners = new Map<keyof ClientEvents, Set<Listener<never>>>()
  private readonly subscriptions = new Map<string, Subscription>()
  private readonly requests = new Map<number, Request>()
  /** Jobs queued or watched here and not finished: `queue\njob` -> job, watched again after a reconnect. */
  private readonly jobs = new Map<string, QueueJob>()
  private readonly consumers = new Map<string, Consumer>()
  private socket: WebSocketLike | undefined
  private current: ConnectionState = 'connecting'
  private attempt = 0
  private nextId = 1
  private reconnectTimer: Timer | undefined
  private connectTimer: Timer | undefined

  /** Starts connecting at once (after the current task, so listeners added right away see every state). */
  constructor (readonly url: string, options: ProxyerClientOptions = {}) {
    const WebSocketClass = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
    if (WebSocketClass === undefined) throw new TypeError('No global WebSocket: pass one as options.WebSocket (in Node 20, the ws package\'s)')
    this.WebSocket = WebSocketClass
    const { reconnectDelayMs = 500, maxReconnectDelayMs = 10_000 } = options
    this.backoff = options.backoff ?? ((attempt) => {
      // equal jitter: between half and all of the capped exponential delay
      const ceiling = Math.min(maxReconnectDelayMs, reconnectDelayMs * 2 ** attempt)
      return ceiling / 2 + Math.random() * ceiling / 2
    })
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000
    this.failAfter = options.failAfter ?? 3
    this.getToken = options.getToken
    this.tokenRefreshMarginMs = options.tokenRefreshMarginMs ?? 10_000
    this.unwatch = this.watch(options)
    queueMicrotask(() => {
      if (this.current === 'closed') return
      this.emit('state', 'connecting')
      this.connect()
    })
  }

  get state (): ConnectionState {
    return this.current
  }

  /** Where the subscription to `topic` stands, or undefined when not subscribed. */
  subscriptionState (topic: string): SubscriptionState | undefined {
    return this.subscriptions.get(topic)?.state
  }

  /** Tries again now what waits for a delay: the connection, or the subscriptions the server refused for a while. */
  reconnectNow (): void {
    if (this.socket === undefined && this.current === 'reconnecting') {
      clearTimeout(this.reconnectTimer)
      this.connect()
      return
    }
    if (!this.connected) return
    for (const [topic, subscription] of this.subscriptions) {
      if (subscription.retry === undefined) continue
      clearTimeout(subscription.retry)
      subscription.retry = undefined
      this.sendSubscribe(topic, subscription)
    }
  }

  /** Calls `fn` on each `event`; returns the function that stops it. */
  on<K extends keyof ClientEvents> (event: K, fn: Listener<ClientEvents[K]>): () => void {
    let set = this.listeners.get(event)
    if (set === undefined) this.listeners.set(event, set = new Set())
    set.add(fn)
    return () => { set.delete(fn) }
  }

  /**
   * Subscribes to `topic`, kept across reconnects until unsubscribe(). Resolves with the
   * topic's position when the server confirms (after a reconnect if need be); messages
   * after that offset follow. With `since` (a position saved from position()), the messages
   * missed since then are delivered first, or a `reset` says they cannot be. A topic
   * already subscribed keeps its position (and `since` is ignored). Rejects with the
   * server's code, e.g. `invalid_topic` or `too_many_subscriptions`, or with `closed`.
   */
  async subscribe (topic: string, options: { since?: Position } = {}): Promise<SubscribeResult> {
    if (isValidTopicFilter(topic) && isTopicPattern(topic)) throw new ProxyerError(ErrorCode.invalidRequest, `"${topic}" is a pattern, which has no position: subscribe to it with subscribePattern()`, topic)
    const existing = this.subscriptions.get(topic)
    const known = existing?.position.known
    if (known !== undefined && this.connected && existing?.request === undefined && existing?.retry === undefined) return known
    return new Promise((resolve, reject) => this.track(topic, false, { resolve, reject }, options.since))
  }

  /**
   * Subscribes to every topic `pattern` names (`*` stands for one dot-separated segment, `>` as the last
   * one for the rest), kept across reconnects until unsubscribe(pattern); resolves when the server confirms.
   * Its messages come as `message` events with their own topic. A pattern has no position, so what its
   * topics published while the client or the server was cut off is not replayed: a `missed` event says
   * when that may have happened. A topic also subscribed by name is delivered once, through that
   * subscription, which resumes. Rejects with `invalid_request` for a plain topic, or the server's code.
   */
  async subscribePattern (pattern: string): Promise<void> {
    if (!isTopicPattern(pattern)) throw new ProxyerError(ErrorCode.invalidRequest, `"${pattern}" has no wildcard segment (* or a last >): subscribe to it by name with subscribe()`, pattern)
    const known = this.subscriptions.get(pattern)
    if (known?.state === 'active' && this.connected) return
    await new Promise<SubscribeResult>((resolve, reject) => this.track(pattern, true, { resolve, reject }))
  }

  /** A subscription's promise waits for the server's reply; the subscription is made, and sent, the first time. */
  private track (topic: string, pattern: boolean, waiter: Settler<SubscribeResult>, since?: Position): void {
    const existing = this.subscriptions.get(topic)
    if (existing !== undefined) {
      existing.waiters.push(waiter)
      return
    }
    const subscription: Subscription = { state: 'pending', pattern, confirmed: false, position: new TopicPosition(since), retries: 0, held: [], waiters: [waiter] }
    this.subscriptions.set(topic, subscription)
    this.emit('subscription', { topic, state: 'pending' })
    if (this.connected) this.sendSubscribe(topic, subscription)
  }

  /** Stops delivery of `topic` (or of a pattern's topics) and forgets its position; resolves once the server confirms (at once while disconnected). */
  async unsubscribe (topic: string): Promise<void> {
    const subscription = this.subscriptions.get(topic)
    if (subscription === undefined) return
    this.subscriptions.delete(topic)
    clearTimeout(subscription.retry)
    for (const waiter of subscription.waiters) waiter.reject(new ProxyerError('unsubscribed', `Unsubscribed from "${topic}" before the server confirmed the subscription`, topic))
    if (!this.connected) return
    return new Promise((resolve, reject) => {
      const id = this.nextId++
      this.requests.set(id, { kind: 'unsubscribe', topic, settle: { resolve, reject } })
      this.socket?.send(JSON.stringify({ action: 'unsubscribe', topic, id }))
    })
  }

  /**
   * Publishes `message` (any JSON value) to `topic`; resolves with its offset and epoch once
   * the server took it. Sent at once, or on reconnect when called while disconnected. Rejects
   * with the server's code (`unavailable`: its Redis is down, retry later; `invalid_topic`...).
   * Every publish carries an idempotency key (`key`, or one made up): when its outcome is unknown (the
   * connection dropped after sending, or the server says `outcome_unknown`) it is sent again with the
   * same key, which the server answers as the first, so it is published once.
   */
  async publish (topic: string, message: unknown, options: { key?: string } = {}): Promise<PublishResult> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++
      const key = options.key ?? `sdk-${randomKey()}`
      const request: Request = { kind: 'publish', topic, settle: { resolve, reject }, frame: JSON.stringify({ action: 'publish', topic, message, id, key }), sent: false, uncertain: false, retries: 0 }
      this.requests.set(id, request)
      if (this.connected) this.sendPublish(request)
    })
  }

  /**
   * Queues `message` (any JSON value) on `queue`; resolves with the job once the server took it:
   * `job.position` and `job.onPosition()` follow its place in line, `job.result` settles with the
   * worker's result or a JobError. Followed across reconnects (the client watches it again).
   * Rejects like publish(): `queue_full`, `too_many_watches`, `unavailable`, `connection_lost`...
   */
  async enqueue (queue: string, message: unknown): Promise<QueueJob> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++
      const request: Request = { kind: 'enqueue', topic: queue, settle: { resolve, reject }, frame: JSON.stringify({ action: 'enqueue', queue, message, id }), sent: false }
      this.requests.set(id, request)
      if (this.connected) this.sendPublish(request)
    })
  }

  /**
   * Takes jobs from `queue`, at most `prefetch` at once (1), again after each reconnect, until the
   * returned function is called. A job is acked with what `handler` resolves with, nacked with the
   * error's message when it throws. Delivery is at least once: use `job.job` as an idempotency key.
   */
  consume (queue: string, handler: JobHandler, { prefetch = 1 }: { prefetch?: number } = {}): () => void {
    this.consumers.set(queue, { handler, prefetch })
    if (this.connected) this.sendConsume(queue, prefetch)
    return () => {
      if (this.consumers.get(queue)?.handler !== handler) return
      this.consumers.delete(queue)
      if (this.connected) this.socket?.send(JSON.stringify({ action: 'cancel', queue }))
    }
  }

  /** The last position delivered on `topic` (or where its subscription started), to persist and pass back as `since`. */
  position (topic: string): Position | undefined {
    return this.subscriptions.get(topic)?.position.known
  }

  /** Closes the connection for good; what is still waiting for a reply rejects with `closed`. */
  close (): void {
    if (this.current === 'closed') return
    this.setState('closed')
    this.unwatch()
    clearTimeout(this.reconnectTimer)
    clearTimeout(this.connectTimer)
    clearTimeout(this.refreshTimer)
    const socket = this.socket
    this.socket = undefined
    socket?.close(1000, 'client closed')
    const closed = new ProxyerError('closed', 'The client was closed')
    for (const request of this.requests.values()) if ('settle' in request) request.settle.reject(closed)
    this.requests.clear()
    for (const job of this.jobs.values()) job.failed(closed)
    this.jobs.clear()
    this.consumers.clear()
    for (const subscription of this.subscriptions.values()) {
      clearTimeout(subscription.retry)
      for (const waiter of subscription.waiters.splice(0)) waiter.reject(closed)
    }
  }

  private get connected (): boolean {
    return this.socket?.readyState === OPEN
  }

  /** With getToken, asks for a token first and connects with it as `?token=`. */
  private connect (): void {
    if (this.getToken === undefined) {
      this.open(this.url)
      return
    }
    // the token's wait counts as connecting: reconnectNow() does not start a second attempt meanwhile
    this.socket = pendingToken
    Promise.resolve().then(this.getToken).then((token) => {
      if (this.socket !== pendingToken) return
      this.socket = undefined
      this.token = token
      this.open(`${this.url}${this.url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`)
    }, (err: unknown) => {
      if (this.socket !== pendingToken) return
      this.socket = undefined
      this.emit('error', new ProxyerError('token_failed', `getToken() failed: ${(err as Error).message}`))
      this.reconnectLater()
    })
  }

  private open (url: string): void {
    let socket: WebSocketLike
    try {
      socket = new this.WebSocket(url)
    } catch (err) {
      this.emit('error', new ProxyerError('connect_failed', `Cannot open a WebSocket to ${this.url}: ${(err as Error).message}`))
      this.reconnectLater()
      return
    }
    this.socket = socket
    this.connectTimer = setTimeout(() => this.lost(socket, true), this.connectTimeoutMs)
    socket.onopen = () => { if (socket === this.socket) this.opened() }
    socket.onmessage = (event: { data: unknown }) => { if (socket === this.socket) this.receive(String(event.data)) }
    socket.onclose = (event: { code?: number }) => {
      // a token refused or expired past its grace: the next connect asks getToken() for a new one
      if (event.code === CloseCode.unauthorized && socket === this.socket) this.emit('error', new ProxyerError(ErrorCode.unauthorized, 'The server refused the token (close 4001); reconnecting with a new one'))
      this.lost(socket, false)
    }
    // a close event follows every error
    socket.onerror = () => {}
  }

  private opened (): void {
    clearTimeout(this.connectTimer)
    this.attempt = 0
    if (this.token !== undefined) this.scheduleRefresh(this.token)
    for (const [topic, subscription] of this.subscriptions) this.sendSubscribe(topic, subscription)
    for (const request of this.requests.values()) if (request.kind === 'publish' || request.kind === 'enqueue') this.sendPublish(request)
    for (const job of this.jobs.values()) this.sendWatch(job)
    for (const [queue, { prefetch }] of this.consumers) this.sendConsume(queue, prefetch)
    this.setState('connected')
  }

  /** The socket is gone: replies it owed will not come; subscriptions are sent again on reconnect. */
  private lost (socket: WebSocketLike, abandon: boolean): void {
    if (socket !== this.socket) return
    this.socket = undefined
    clearTimeout(this.connectTimer)
    clearTimeout(this.refreshTimer)
    if (abandon) socket.close()
    for (const [id, request] of this.requests) {
      if ((request.kind === 'publish' || request.kind === 'enqueue') && !request.sent) continue
      // sent again on reconnect, with its idempotency key: published once whatever became of the first
      if (request.kind === 'publish') {
        request.sent = false
        continue
      }
      this.requests.delete(id)
      if (request.kind === 'enqueue') request.settle.reject(new ProxyerError('connection_lost', 'The connection was lost before the server replied: the job may or may not have been queued', request.topic))
      // the next connection does not hold the topic anyway
      if (request.kind === 'unsubscribe') request.settle.resolve()
    }
    for (const [topic, subscription] of this.subscriptions) {
      clearTimeout(subscription.retry)
      Object.assign(subscription, { request: undefined, retry: undefined, retries: 0, held: [] })
      this.setSubscriptionState(topic, subscription, 'pending')
    }
    this.reconnectLater()
  }

  private reconnectLater (): void {
    this.setState('reconnecting')
    // a listener may have closed the client
    if (this.current === 'closed') return
    const attempt = this.attempt++
    if (attempt === this.failAfter) this.emit('error', new ProxyerError('unreachable', `The server at ${this.url} could not be reached after ${attempt} attempts; still trying`))
    const delayMs = this.backoff(attempt)
    this.reconnectTimer = setTimeout(() => this.connect(), delayMs)
    this.emit('retry', { attempt, delayMs })
  }

  /** Listens for the moments a retry has its best chance: back online, or the tab shown again. */
  private watch ({ window = browser.window, document = browser.document }: ProxyerClientOptions): () => void {
    const online = (): void => this.reconnectNow()
    const visible = (): void => { if (document?.visibilityState === 'visible') this.reconnectNow() }
    window?.addEventListener('online', online)
    document?.addEventListener('visibilitychange', visible)
    return () => {
      window?.removeEventListener('online', online)
      document?.removeEventListener('visibilitychange', visible)
    }
  }

  /** Subscribes from the last position when there is one, so the server replays what was missed. */
  private sendSubscribe (topic: string, subscription: Subscription): void {
    const id = this.nextId++
    const since = subscription.position.known
    subscription.request = id
    this.requests.set(id, { kind: 'subscribe', topic })
    this.socket?.send(JSON.stringify(since === undefined ? { action: 'subscribe', topic, id } : { action: 'subscribe', topic, since, id }))
  }

  /** Asks for a new token a little before this one's `exp` (read from its payload), to send on the live connection. */
  private scheduleRefresh (token: string): void {
    clearTimeout(this.refreshTimer)
    const expiresAt = expiryOf(token)
    if (expiresAt === undefined) return
    const life = expiresAt - Date.now()
    this.refreshTimer = setTimeout(() => this.refresh(), Math.max(life - this.tokenRefreshMarginMs, life / 2, 0))
  }

  /** Called only while connected: on the server's token_expired, or by the timer opened() sets and lost() clears. */
  private refresh (): void {
    const socket = this.socket as WebSocketLike
    if (this.getToken === undefined) return
    Promise.resolve().then(this.getToken).then((token) => {
      /* c8 ignore next: the connection was lost while getToken() ran; the reconnect asks for a token again */
      if (socket !== this.socket) return
      this.scheduleRefresh(token)
      const id = this.nextId++
      this.requests.set(id, { kind: 'auth' })
      socket.send(JSON.stringify({ action: 'auth', token, id }))
    }, (err: unknown) => {
      // the server's token_expired asks again; past its grace, the reconnect does
      this.emit('error', new ProxyerError('token_failed', `getToken() failed: ${(err as Error).message}`))
    })
  }

  private sendWatch (job: QueueJob): void {
    const id = this.nextId++
    this.requests.set(id, { kind: 'watch', topic: job.queue, job })
    this.socket?.send(JSON.stringify({ action: 'watch', queue: job.queue, job: job.job, id }))
  }

  private sendConsume (queue: string, prefetch: number): void {
    const id = this.nextId++
    this.requests.set(id, { kind: 'consume', topic: queue })
    this.socket?.send(JSON.stringify({ action: 'consume', queue, prefetch, id }))
  }

  /** Runs the handler; its outcome goes back on the connection that delivered the job, which alone holds it. */
  private handle (delivered: DeliveredJob): void {
    const consumer = this.consumers.get(delivered.queue)
    const socket = this.socket
    const answer = (frame: Record<string, unknown>): void => {
      if (socket === this.socket && this.connected) socket?.send(JSON.stringify({ queue: delivered.queue, job: delivered.job, ...frame }))
    }
    if (consumer === undefined) return answer({ action: 'nack', error: 'the consumer stopped' })
    Promise.resolve().then(() => consumer.handler(delivered)).then(
      (result) => answer({ action: 'ack', result: result ?? null }),
      (err: unknown) => answer({ action: 'nack', error: String((err as Error)?.message ?? err).slice(0, 4096) })
    )
  }

  /** A position, done or failed frame of a job followed here. */
  private jobFrame (frame: Record<string, unknown>): void {
    const key = `${String(frame.queue)}\n${String(frame.job)}`
    const job = this.jobs.get(key)
    if (job === undefined) return
    if (frame.action === 'position') return job.moved(frame.position as number)
    this.jobs.delete(key)
    if (frame.action === 'done') job.done(frame.result)
    else job.failed(new JobError('job_failed', String(frame.error), frame.attempts as number))
  }

  private sendPublish (request: Request & { kind: 'publish' | 'enqueue' }): void {
    request.sent = true
    this.socket?.send(request.frame)
  }

  private receive (text: string): void {
    let frame: Record<string, unknown>
    try {
      frame = JSON.parse(text) as Record<string, unknown>
    } catch {
      return
    }
    if (frame.action === 'publish') {
      const { topic, message, offset, epoch } = frame as unknown as Delivery
      const named = this.subscriptions.get(topic)
      const subscription = named ?? this.patternNaming(topic)
      if (subscription !== undefined) this.take(topic, subscription, { topic, message, offset, epoch })
      return
    }
    if (frame.action === 'resumed') {
      this.resumed(frame.topic as string, frame.epoch as string)
      return
    }
    if (frame.action === 'job') return this.handle(frame as unknown as DeliveredJob)
    if (frame.action === 'position' || frame.action === 'done' || frame.action === 'failed') this.jobFrame(frame)
    const request = typeof frame.id === 'number' ? this.requests.get(frame.id) : undefined
    if (request === undefined) {
      if (frame.code === ErrorCode.tokenExpired) this.refresh()
      if (frame.action === 'unsubscribed') this.left(frame.topic as string, serverError(frame, frame.topic as string))
      if (frame.action === 'error') this.emit('error', serverError(frame))
      return
    }
    this.requests.delete(frame.id as number)
    if (request.kind === 'auth') {
      // a refused token closes the connection (4001): the reconnect asks for a new one
      if (frame.action === 'error') this.emit('error', serverError(frame))
    } else if (request.kind === 'watch') {
      // an unknown job (expired while away): its result will not come; other refusals are told, and it is watched again on reconnect
      if (frame.code === ErrorCode.unknownJob) {
        this.jobs.delete(`${request.job.queue}\n${request.job.job}`)
        request.job.failed(new JobError('unknown_job', String(frame.error), 0))
      } else if (frame.action === 'error') {
        this.emit('error', serverError(frame, request.topic))
      }
    } else if (request.kind === 'consume') {
      if (frame.action === 'error') this.emit('error', serverError(frame, request.topic))
    } else if (request.kind === 'enqueue') {
      if (frame.action === 'error') return request.settle.reject(serverError(frame, request.topic))
      const job = new QueueJob(request.topic, String(frame.job), frame.position as number)
      this.jobs.set(`${job.queue}\n${job.job}`, job)
      request.settle.resolve(job)
    } else if (request.kind === 'subscribe') {
      if (frame.action === 'error') this.subscribeFailed(request.topic, frame.id as number, serverError(frame, request.topic))
      else this.subscribed(request.topic, frame.id as number, frame as unknown as SubscribeResult)
    } else if (request.kind === 'publish' && (frame.code === ErrorCode.outcomeUnknown || (request.uncertain && frame.code === ErrorCode.unavailable))) {
      // Redis did not answer in time: asked again with the same key, it answers as the first or publishes now;
      // a refusal after that is no answer either, as the first attempt may have been published
      request.uncertain = true
      this.requests.set(frame.id as number, request)
      // sent on this connection if it is still up (a send after close() or a repeat after a reconnect changes nothing)
      setTimeout(() => this.sendPublish(request), this.backoff(request.retries++))
    } else if (frame.action === 'error') {
      request.settle.reject(serverError(frame, request.topic))
    } else if (request.kind === 'publish') {
      const { offset, epoch, subscribers } = frame as unknown as PublishResult
      request.settle.resolve({ offset, epoch, subscribers })
    } else {
      request.settle.resolve()
    }
  }

  /** Passes a delivery on in offset order, once; a gap or a new epoch starts a recovery. */
  private take (topic: string, subscription: Subscription, delivery: Delivery): void {
    if (subscription.request !== undefined || subscription.retry !== undefined) {
      subscription.held.push(delivery)
      return
    }
    if (subscription.pattern) {
      this.emit('message', delivery)
      return
    }
    const { position } = subscription
    switch (position.accept(delivery.offset, delivery.epoch)) {
      case 'deliver':
        if (subscription.resetReason !== undefined) this.reset(topic, subscription, { offset: delivery.offset - 1, epoch: delivery.epoch }, subscription.resetReason)
        this.emit('message', delivery)
        return
      case 'duplicate':
        return
      case 'new_epoch':
        // the new epoch is taken from its start; a position in no epoch ('' while the server's Redis was down) from here
        position.moveTo(position.known?.epoch === '' ? delivery.offset - 1 : 0, delivery.epoch)
        subscription.resetReason = 'epoch_changed'
        this.take(topic, subscription, delivery)
        return
      case 'gap':
        // the server replays from the position, this delivery included
        subscription.held.push(delivery)
        this.sendSubscribe(topic, subscription)
    }
  }

  /**
   * The server could not replay all it missed after its own link to Redis came back. A new epoch is
   * taken from its start, as a delivery of it would be; then the client asks again from its position,
   * and the reply replays what it can and ends in a reset where it cannot.
   */
  private resumed (topic: string, epoch: string): void {
    const subscription = this.subscriptions.get(topic)
    if (subscription === undefined || subscription.request !== undefined || subscription.retry !== undefined) return
    if (subscription.pattern) {
      this.emit('missed', { pattern: topic, reason: 'server_interrupted' })
      return
    }
    if (subscription.position.known?.epoch !== epoch) {
      subscription.position.moveTo(0, epoch)
      subscription.resetReason = 'epoch_changed'
    }
    this.sendSubscribe(topic, subscription)
  }

  private subscribed (topic: string, id: number, reply: SubscribeResult): void {
    const subscription = this.subscriptions.get(topic)
    if (subscription?.request !== id) return
    subscription.request = undefined
    subscription.retries = 0
    this.setSubscriptionState(topic, subscription, 'active')
    if (subscription.pattern) {
      if (subscription.confirmed) this.emit('missed', { pattern: topic, reason: 'reconnected' })
      subscription.confirmed = true
      for (const delivery of subscription.held.splice(0)) this.emit('message', delivery)
      for (const waiter of subscription.waiters.splice(0)) waiter.resolve(reply)
      return
    }
    const { position } = subscription
    const { offset, epoch, recovered } = reply
    if (recovered === false) {
      const reason = subscription.resetReason ?? (position.known?.epoch === epoch ? 'not_recovered' : 'epoch_changed')
      position.moveTo(offset, epoch)
      this.reset(topic, subscription, { offset, epoch }, reason)
    } else if (recovered === undefined || position.known === undefined) {
      position.moveTo(offset, epoch)
    } else if (subscription.resetReason !== undefined) {
      this.reset(topic, subscription, position.known, subscription.resetReason)
    }
    // the replay and the live messages held meanwhile, in order; those at or before the position go
    const held = subscription.held.splice(0).filter((d) => d.epoch === epoch).sort((a, b) => a.offset - b.offset)
    for (const delivery of held) this.take(topic, subscription, delivery)
    for (const waiter of subscription.waiters.splice(0)) waiter.resolve(recovered === undefined ? { offset, epoch } : { offset, epoch, recovered })
  }

  private subscribeFailed (topic: string, id: number, err: ProxyerError): void {
    const subscription = this.subscriptions.get(topic)
    if (subscription?.request !== id) return
    subscription.request = undefined
    if (RETRYABLE.has(err.code)) {
      // a refusal that persists is told once, and asked again all the same
      if (subscription.retries === this.failAfter) {
        this.setSubscriptionState(topic, subscription, 'failed', err)
        this.emit('error', err)
      }
      subscription.retry = setTimeout(() => {
        subscription.retry = undefined
        if (this.connected && this.subscriptions.get(topic) === subscription) this.sendSubscribe(topic, subscription)
      }, this.backoff(subscription.retries++))
      return
    }
    this.subscriptions.delete(topic)
    if (subscription.waiters.length === 0) this.emit('error', err)
    for (const waiter of subscription.waiters) waiter.reject(err)
  }

  /** The server left `topic` itself (a refreshed token may not subscribe to it): the subscription fails, for good. Its subscribe was answered before, so nothing waits on it. */
  private left (topic: string, err: ProxyerError): void {
    const subscription = this.subscriptions.get(topic)
    /* c8 ignore next: the client left it too, its unsubscribe crossing the server's frame */
    if (subscription === undefined) return
    this.subscriptions.delete(topic)
    clearTimeout(subscription.retry)
    this.setSubscriptionState(topic, subscription, 'failed', err)
    this.emit('error', err)
  }

  /** The first pattern subscription that names `topic`: the server sends a message once, however many match. */
  private patternNaming (topic: string): Subscription | undefined {
    for (const [filter, subscription] of this.subscriptions) if (subscription.pattern && topicMatches(filter, topic)) return subscription
    return undefined
  }

  private reset (topic: string, subscription: Subscription, at: Position, reason: ResetEvent['reason']): void {
    subscription.resetReason = undefined
    this.emit('reset', { topic, offset: at.offset, epoch: at.epoch, reason })
  }

  private setSubscriptionState (topic: string, subscription: Subscription, state: SubscriptionState, error?: ProxyerError): void {
    if (subscription.state === state) return
    subscription.state = state
    this.emit('subscription', error === undefined ? { topic, state } : { topic, state, error })
  }

  private setState (state: ConnectionState): void {
    if (state === this.current) return
    this.current = state
    this.emit('state', state)
  }

  /** A throwing listener neither stops the others nor the client: its error is rethrown apart. */
  private emit<K extends keyof ClientEvents> (event: K, value: ClientEvents[K]): void {
    for (const fn of [...this.listeners.get(event) ?? []]) {
      try {
        (fn as Listener<ClientEvents[K]>)(value)
      } catch (err) {
        setTimeout(() => { throw err })
      }
    }
  }
}

/** Stands in `socket` while getToken() runs, so nothing else starts a connection meanwhile. */
const pendingToken: WebSocketLike = { readyState: 0, onopen: null, onmessage: null, onclose: null, onerror: null, send: noop, close: noop }

function noop (): void {}

/** The `exp` of a JWT, in ms, read from its payload without verifying it (the server does); undefined when it has none. */
function expiryOf (token: string): number | undefined {
  try {
    const payload = JSON.parse(atob((token.split('.')[1] ?? '').replaceAll('-', '+').replaceAll('_', '/'))) as { exp?: unknown }
    return typeof payload.exp === 'number' ? payload.exp * 1000 : undefined
  } catch {
    return undefined
  }
}

/** 128 random bits, hex: an idempotency key no other publish will have. */
function randomKey (): string {
  return Array.from(globalThis.crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('')
}

function serverError (frame: Record<string, unknown>, topic?: string): ProxyerError {
  return new ProxyerError(String(frame.code), String(frame.error), topic)
}
