/** What the tests share: the real app on a free port, a recording WebSocket client, and waits on events and figures. */
import type { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import WebSocket from 'ws'
import { type BuildOptions, buildApp } from '../src/app.js'
import { loadConfig, type Config } from '../src/config.js'
import { RedisServer } from './redis-server.js'
import { RedisCluster } from './redis-cluster.js'

/** The part of a tap test the helpers need: somewhere to register what must be closed when it ends. */
export interface Teardown {
  teardown (fn: () => unknown): void
}

export interface RunningApp {
  app: FastifyInstance
  /** http://127.0.0.1:PORT */
  url: string
  /** ws://127.0.0.1:PORT/message */
  wsUrl: string
}

export async function startApp (t: Teardown, env: Env = {}, options: BuildOptions = {}): Promise<RunningApp> {
  const config = loadConfig({ LOG_LEVEL: 'silent', ...env })
  const app = await buildApp(config, options)
  t.teardown(() => app.close())
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, url: address, wsUrl: `${address.replace('http', 'ws')}/message` }
}

/** What has arrived so far (frames, messages), and a wait for one that matches, woken as each arrives. */
export class Arrivals<T> {
  readonly items: T[] = []
  private waiters: Array<() => void> = []
  private ended: string | undefined

  constructor (private readonly what: string) {}

  add (item: T): void {
    this.items.push(item)
    this.wake()
  }

  /** Nothing more will arrive (a closed socket): a wait for what has not arrived fails at once, saying `why`. */
  end (why: string): void {
    this.ended = why
    this.wake()
  }

  /** Resolves with the first item, arrived so far or later, that matches. */
  async waitFor (match: (item: T) => boolean, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.items.find(match)
      if (found !== undefined) return found
      if (this.ended !== undefined) throw new Error(`${this.ended} while waiting for a ${this.what}`)
      if (Date.now() > deadline) throw new Error(`no matching ${this.what} within ${timeoutMs} ms; got ${JSON.stringify(this.items)}`)
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve)
        setTimeout(resolve, 50)
      })
    }
  }

  private wake (): void {
    for (const wake of this.waiters.splice(0)) wake()
  }
}

/** A WebSocket client that keeps every frame it receives, parsed, for the test to wait on. */
export class TestClient {
  readonly socket: WebSocket
  private readonly arrivals = new Arrivals<any>('frame')

  private constructor (socket: WebSocket) {
    this.socket = socket
    socket.on('message', (data) => this.arrivals.add(JSON.parse(data.toString())))
    socket.on('close', () => this.arrivals.end('socket closed'))
  }

  static async connect (t: Teardown, wsUrl: string, options?: WebSocket.ClientOptions): Promise<TestClient> {
    const socket = new WebSocket(wsUrl, options)
    t.teardown(() => socket.terminate())
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve)
      socket.once('error', reject)
    })
    return new TestClient(socket)
  }

  /** Every frame received so far, parsed, in order. */
  get frames (): any[] {
    return this.arrivals.items
  }

  send (frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }

  /** Sends a request with an id and resolves with the reply carrying that id. */
  async request (frame: Record<string, unknown>): Promise<any> {
    const id = `r${Math.random().toString(36).slice(2)}`
    this.send({ ...frame, id })
    return this.waitFor((f) => f.id === id)
  }

  /** Resolves with the first frame, received so far or later, that matches. */
  async waitFor (match: (frame: any) => boolean, timeoutMs = 5000): Promise<any> {
    return this.arrivals.waitFor(match, timeoutMs)
  }

  /**
   * Resolves once the server has answered a ping sent now. Requests are answered in order, and the
   * deliveries the server has handed this connection go out before later replies, so every frame
   * the server had for this socket before the ping has arrived once this resolves.
   */
  async sync (): Promise<void> {
    await this.request({ action: 'ping' })
  }

  /** Stops reading from the TCP socket, as a frozen or slow client does: the server's writes pile up. */
  stopReading (): void {
    this.tcp.pause()
  }

  resumeReading (): void {
    this.tcp.resume()
  }

  /** The TCP socket under the WebSocket, for tests that act below the protocol. */
  get tcp (): Socket {
    return (this.socket as unknown as { _socket: Socket })._socket
  }

  /** Resolves with the close code and reason once the server closes the socket. */
  async closed (): Promise<{ code: number, reason: string }> {
    return new Promise((resolve) => this.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  }

  /** Frames of action `publish` received so far, with the original protocol's three fields. */
  get deliveries (): any[] {
    return this.published.map(({ action, topic, message }) => ({ action, topic, message }))
  }

  /** Frames of action `publish` received so far, whole (with offset and epoch). */
  get published (): any[] {
    return this.frames.filter((f) => f.action === 'publish')
  }
}

/** GET a JSON body, for tests that read figures. */
export async function getJson (url: string): Promise<any> {
  return (await fetch(url)).json()
}

/**
 * GET a JSON body for a poll: undefined while the server answers an error status (an instance still
 * connecting to Redis answers 503), so the poll tries again instead of reading the error as an answer.
 */
export async function pollJson (url: string): Promise<any> {
  const response = await fetch(url)
  const body = await response.json()
  return response.ok ? body : undefined
}

/** Polls until `check` holds, for state that changes asynchronously (cluster heartbeats, reconnects, a client's events). */
export async function eventually (check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000, intervalMs = 20): Promise<void> {
  await eventuallyValue(async () => await check() ? true : undefined, what, timeoutMs, intervalMs)
}

/** The value-returning form of eventually(): polls until `check` gives something other than undefined, and resolves with it. */
export async function eventuallyValue<T> (check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 10_000, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = await check()
    if (found !== undefined) return found
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

/** Polls `url` until it answers `status` (a server going down or coming back). */
export async function waitForStatus (url: string, status: number, timeoutMs = 10_000): Promise<void> {
  await eventually(async () => status === await fetch(url).then(async (res) => { await res.arrayBuffer(); return res.status }, () => 0),
    `${url} answers ${status}`, timeoutMs)
}

/** POSTs `message` as JSON to /publish/:topic and resolves with the reply; throws on any status but 200. */
export async function publish (url: string, topic: string, message: unknown): Promise<any> {
  const response = await postText(url, topic, JSON.stringify({ message }), 'application/json')
  if (!response.ok) throw new Error(`POST /publish/${topic} answered ${response.status}: ${await response.text()}`)
  return response.json()
}

/** POSTs a raw body to /publish/:topic and resolves with the response, whatever its status, for tests of refusals. */
export async function postText (url: string, topic: string, body: string, contentType = 'text/plain'): Promise<Response> {
  return fetch(`${url}/publish/${topic}`, { method: 'POST', body, headers: { 'content-type': contentType } })
}

/** Closes every WebSocket connection from the server side with 1001, as a restart or a proxy cutting its sockets would. */
export function cutSockets (app: FastifyInstance): void {
  for (const connection of app.connections.open) connection.close(1001, 'test')
}

/** Settings for a test's instance, as the environment would give them. */
export type Env = Partial<Record<keyof Config, string | number>>

export interface Mode {
  name: 'embedded' | 'redis'
  /** Starts an instance, closed when the test ends; in Redis mode on a private Redis, returned with it. */
  start: (t: Teardown, env?: Env, options?: BuildOptions) => Promise<RunningApp & { redis?: RedisServer }>
}

/** The two ways proxyer runs, for scenarios tested in both from one table: embedded, and through a private Redis. */
export const MODES: Mode[] = [
  { name: 'embedded', start: async (t, env = {}, options = {}) => startApp(t, env, options) },
  {
    name: 'redis',
    start: async (t, env = {}, options = {}) => {
      const redis = await RedisServer.start(t)
      return { ...await startApp(t, { ...env, REDIS_URL: redis.url }, options), redis }
    }
  }
]

/**
 * The third way, beside MODES: through a private Redis Cluster (3 masters, no replicas), for the scenarios
 * that make sense there. Kept apart since a cluster takes seconds to start, and patterns are refused there.
 */
export const REDIS_CLUSTER = {
  name: 'redis-cluster',
  start: async (t: Teardown, env: Env = {}): Promise<RunningApp> =>
    startApp(t, { ...env, REDIS_CLUSTER_NODES: (await RedisCluster.start(t, { replicas: 0 })).seeds })
}
