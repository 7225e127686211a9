/**
 * The queue bench's producers and workers: proxyer's over its socket and HTTP, BullMQ's own. Each keeps its
 * requests pipelined the way its kind of user would: many browsers' sockets, a backend's keep-alive
 * connections, a worker's batch claims.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { Agent, request } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import WebSocket from 'ws'
import { freePort } from './lib/launch.js'

export interface Stamped { t: number }

type Worker = { stop: () => Promise<void> }

/** One way to run a queue: its producer and worker paths by name, and what they do. */
export interface Target {
  /** The server's process, whose CPU time is charged to it; none for BullMQ. */
  pid: number | undefined
  producers: string[]
  workers: string[]
  /** Enqueues `count` jobs through `producer`, as many in flight as that path keeps, resolving once all are accepted. */
  produce: (producer: string, queue: string, count: number, make: () => Stamped) => Promise<void>
  /** Enqueues `perSecond` jobs a second for `ms`, ten every 10 ms, on schedule even when a tick comes late. */
  paced: (producer: string, queue: string, perSecond: number, ms: number, make: () => Stamped) => Promise<void>
  /** A worker of kind `kind` holding up to `held` jobs; `claimed` hears each job as it arrives, `acked` each ack sent. */
  worker: (kind: string, queue: string, held: number, claimed: (message: Stamped) => void, acked: (count: number) => void) => Worker
  close: () => Promise<void>
}

/** Simulated browsers: a socket carries at most this many unanswered enqueues. */
const SOCKETS = 64
const SOCKET_WINDOW = 4
/** A backend's requests in flight, each on its own keep-alive connection. */
const HTTP_IN_FLIGHT = 32

async function paced (perSecond: number, ms: number, send: () => Promise<void>): Promise<void> {
  const total = perSecond * ms / 1000
  const began = performance.now()
  const sends: Array<Promise<void>> = []
  for (let sent = 0; sent < total;) {
    const due = Math.min(total, Math.floor((performance.now() - began) / 1000 * perSecond))
    for (; sent < due; sent++) sends.push(send())
    await sleep(10)
  }
  await Promise.all(sends)
}

/** `count` calls of `send`, `inFlight` at a time. */
async function windowed (count: number, inFlight: number, send: () => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < count) {
      next++
      await send()
    }
  }))
}

async function post (agent: Agent, url: string, body: unknown): Promise<any> {
  const payload = JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString()
        if ((res.statusCode ?? 500) >= 300) reject(new Error(`${url}: ${res.statusCode} ${text}`))
        else resolve(JSON.parse(text))
      })
    })
    req.once('error', reject)
    req.end(payload)
  })
}

/** A socket that enqueues and hears its replies in order: the `enqueued` receipts (or errors), among its jobs' other news. */
class ProducerSocket {
  private readonly waiting: Array<{ resolve: () => void, reject: (err: Error) => void }> = []
  private readonly room: Array<() => void> = []

  constructor (readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { action: string, code?: string, error?: string }
      if (frame.action !== 'enqueued' && frame.action !== 'error') return
      const waiter = this.waiting.shift()
      if (frame.action === 'error') waiter?.reject(new Error(`${frame.code ?? ''}: ${frame.error ?? ''}`))
      else waiter?.resolve()
      this.room.shift()?.()
    })
  }

  async enqueue (queue: string, message: Stamped): Promise<void> {
    while (this.waiting.length >= SOCKET_WINDOW) await new Promise<void>((resolve) => this.room.push(resolve))
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject })
      this.socket.send(JSON.stringify({ action: 'enqueue', queue, message }))
    })
  }
}

async function opened (url: string): Promise<WebSocket> {
  const socket = new WebSocket(url)
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject))
  return socket
}

async function started (child: ChildProcess, url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited`)
    if (await fetch(url).then((res) => res.ok, () => false)) return
    await sleep(100)
  }
  throw new Error(`${url} did not answer`)
}

/** A proxyer server on its own port, through `serverArgv`, with Redis when `redisUrl` is given. */
export async function proxyerTarget (serverArgv: string[], redisUrl: string | undefined): Promise<Target> {
  const port = await freePort()
  const child = spawn(process.execPath, serverArgv, {
    // generous HTTP timeouts: on a loaded machine a stalled loop must not turn into closed connections
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '60000',
      HTTP_REQUEST_TIMEOUT_MS: '120000',
      ...(redisUrl === undefined ? {} : { REDIS_URL: redisUrl, REDIS_PREFIX: `bench${port}:` })
    },
    stdio: 'inherit'
  })
  const url = `http://127.0.0.1:${port}`
  const wsUrl = `ws://127.0.0.1:${port}/message`
  await started(child, `${url}/ready`)
  const agent = new Agent({ keepAlive: true, maxSockets: 64 })
  const producers = await Promise.all(Array.from({ length: SOCKETS }, async () => new ProducerSocket(await opened(wsUrl))))
  let turn = 0
  const nextSocket = (): ProducerSocket => producers[turn++ % producers.length]
  const enqueue = (producer: string, queue: string, make: () => Stamped): () => Promise<void> => producer === 'socket'
    ? async () => nextSocket().enqueue(queue, make())
    : async () => post(agent, `${url}/queues/${queue}/jobs`, { message: make() })

  const httpWorker = (queue: string, held: number, claimed: (message: Stamped) => void, acked: (count: number) => void): Worker => {
    let running = true
    const loop = (async () => {
      // eslint-disable-next-line no-unmodified-loop-condition -- stop() clears it between claims
      while (running) {
        const { jobs } = await post(agent, `${url}/queues/${queue}/claim`, { max: held, waitMs: 200 }) as { jobs: Array<{ job: string, receipt: string, message: Stamped }> }
        if (jobs.length === 0) continue
        for (const job of jobs) claimed(job.message)
        await post(agent, `${url}/queues/${queue}/ack`, { jobs: jobs.map(({ job, receipt }) => ({ job, receipt, result: null })) })
        acked(jobs.length)
      }
    })()
    return { stop: async () => { running = false; await loop } }
  }

  const socketWorker = (queue: string, held: number, claimed: (message: Stamped) => void, acked: (count: number) => void): Worker => {
    const socket = new WebSocket(wsUrl)
    let cancelled: (() => void) | undefined
    socket.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { action: string, job: string, message: Stamped }
      if (frame.action === 'job') {
        claimed(frame.message)
        // acks carry no id, as the SDK's: a socket ack is not answered, and the next job comes once it is done
        socket.send(JSON.stringify({ action: 'ack', queue, job: frame.job, result: null }))
        acked(1)
      } else if (frame.action === 'cancelled') {
        cancelled?.()
      }
    })
    socket.once('open', () => socket.send(JSON.stringify({ action: 'consume', queue, prefetch: held })))
    return {
      stop: async () => {
        // answered after every ack sent before it: the worker's last acks are done then
        await new Promise<void>((resolve) => {
          cancelled = resolve
          socket.send(JSON.stringify({ action: 'cancel', queue, id: 'stop' }))
        })
        socket.close()
      }
    }
  }

  return {
    pid: child.pid,
    producers: ['socket', 'http'],
    workers: ['http-claim', 'socket-consume'],
    produce: async (producer, queue, count, make) =>
      windowed(count, producer === 'socket' ? SOCKETS * SOCKET_WINDOW : HTTP_IN_FLIGHT, enqueue(producer, queue, make)),
    paced: async (producer, queue, perSecond, ms, make) => paced(perSecond, ms, enqueue(producer, queue, make)),
    worker: (kind, queue, held, claimed, acked) => (kind === 'http-claim' ? httpWorker : socketWorker)(queue, held, claimed, acked),
    close: async () => {
      for (const { socket } of producers) socket.close()
      agent.destroy()
      if (child.exitCode !== null) return
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
    }
  }
}

/** The part of BullMQ this bench uses, typed here: BullMQ lives in bench/node_modules, outside the server's type-checked tree. */
interface BullMQ {
  Queue: new (name: string, options: object) => { add: (name: string, data: unknown) => Promise<unknown>, close: () => Promise<void> }
  Worker: new (name: string, handler: (job: { data: unknown }) => Promise<void>, options: object) => { on: (event: 'completed', fn: () => void) => void, close: () => Promise<void> }
}

/** BullMQ on the Redis at `port`: its producer calls Redis itself (Queue.add, a Lua script), with no server between. */
export async function bullmqTarget (port: number): Promise<Target> {
  const name: string = 'bullmq'
  const { Queue, Worker } = await import(name).catch(() => {
    throw new Error('BullMQ is missing: npm install --prefix bench (or run npm run bench once, which installs the baselines)')
  }) as BullMQ
  const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null }
  const queues = new Map<string, InstanceType<BullMQ['Queue']>>()
  const add = (queue: string, make: () => Stamped) => async () => {
    const q = queues.get(queue) ?? new Queue(queue, { connection })
    queues.set(queue, q)
    await q.add('job', make())
  }
  return {
    pid: undefined,
    producers: ['direct'],
    workers: ['bullmq'],
    produce: async (producer, queue, count, make) => windowed(count, HTTP_IN_FLIGHT, add(queue, make)),
    paced: async (producer, queue, perSecond, ms, make) => paced(perSecond, ms, add(queue, make)),
    worker: (kind, queue, held, claimed, acked) => {
      const worker = new Worker(queue, async (job) => { claimed(job.data as Stamped) }, { connection, concurrency: held })
      worker.on('completed', () => acked(1))
      return { stop: async () => worker.close() }
    },
    close: async () => { await Promise.all([...queues.values()].map(async (queue) => queue.close())) }
  }
}
