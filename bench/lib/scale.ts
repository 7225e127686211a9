/**
 * The scale scenario: what a delivery and a publish cost in server CPU (every instance's, from /proc) and in
 * Redis CPU (INFO cpu, summed over the shards), embedded against one Redis and a 3-shard Redis Cluster at
 * 1, 2, 4 and 8 instances. A fixed count of publishes is sent and every delivery awaited, so the figures
 * are CPU time over counts, which holds on a loaded machine where a rate would not.
 */
import { execFileSync } from 'node:child_process'
import { loadavg } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import WebSocket from 'ws'
import { InstanceProcess } from '../../test/instance-process.js'
import { RedisCluster } from '../../test/redis-cluster.js'
import { RedisServer } from '../../test/redis-server.js'
import { totalCpuTimeMs } from './proc.js'

export type ScaleMode = 'embedded' | 'redis' | 'cluster'

export interface ScaleShape {
  topics: number
  /** Subscribers of each topic, spread evenly over the instances. */
  fanout: number
  publishes: number
  /** Publishes in flight per publisher (one publisher per instance). */
  window: number
}

export interface ScaleRow {
  mode: ScaleMode
  instances: number
  publishes: number
  deliveries: number
  serverCpuMs: number
  redisCpuMs: number
  /** Server CPU microseconds per delivery and per publish (the same CPU time over either count), net of the idle rate. */
  serverUsPerDelivery: number
  serverUsPerPublish: number
  /** Every instance's CPU milliseconds a second, summed, with the subscribers connected and nothing published. */
  serverIdleMsPerSec: number
  /** Net of what Redis spends idle over as long a time. */
  redisUsPerPublish: number
  /** Redis CPU milliseconds a second with the instances and subscribers connected and nothing published. */
  redisIdleMsPerSec: number
  seconds: number
  /** The 1-minute load average at the run's end. */
  load: number
}

type Step = () => unknown

/** How long the idle rates are measured for, after the warm-up. */
const IDLE_MS = 4000

const clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim())

/** The shared Redis of a run and how to read its CPU time (milliseconds, user + system, every shard). */
interface Backend {
  env: Record<string, string>
  cpuMs: () => Promise<number>
}

function cpuMsOf (info: string): number {
  const field = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0)
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000
}

async function startBackend (mode: ScaleMode, steps: Step[]): Promise<Backend> {
  const t = { teardown: (fn: Step) => steps.push(fn) }
  if (mode === 'redis') {
    const server = await RedisServer.start(t)
    const client = server.client(t)
    return { env: { REDIS_URL: server.url }, cpuMs: async () => cpuMsOf(await client.info('cpu')) }
  }
  if (mode === 'cluster') {
    const cluster = await RedisCluster.start(t, { masters: 3, replicas: 0 })
    const sum = async (): Promise<number> => (await Promise.all(cluster.nodes.map(async (node) => cpuMsOf(await node.command('INFO', 'cpu'))))).reduce((a, b) => a + b, 0)
    return { env: { REDIS_CLUSTER_NODES: cluster.seeds }, cpuMs: sum }
  }
  return { env: {}, cpuMs: async () => 0 }
}

async function open (url: string): Promise<WebSocket> {
  const socket = new WebSocket(url)
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject))
  return socket
}

/** Sends a frame with an id and resolves with the reply that carries it; an error reply rejects. */
async function request (socket: WebSocket, frame: object, id: number): Promise<void> {
  socket.send(JSON.stringify({ ...frame, id }))
  await new Promise<void>((resolve, reject) => {
    const onMessage = (data: Buffer): void => {
      const reply = JSON.parse(data.toString()) as { action: string, id?: number, error?: string }
      if (reply.id !== id) return
      socket.off('message', onMessage)
      if (reply.action === 'error') reject(new Error(reply.error)); else resolve()
    }
    socket.on('message', onMessage)
  })
}

/**
 * Sends `count` publishes from one socket, `window` in flight, each acknowledged, cycling over the topics
 * from `first`; rejects on the first refusal.
 */
async function publishAll (socket: WebSocket, topics: string[], first: number, count: number, window: number): Promise<void> {
  let sent = 0
  let answered = 0
  await new Promise<void>((resolve, reject) => {
    const send = (): void => {
      socket.send(JSON.stringify({ action: 'publish', topic: topics[(first + sent) % topics.length], message: { seat: sent }, id: sent }))
      sent++
    }
    socket.on('message', (data: Buffer) => {
      const reply = data.toString()
      if (reply.startsWith('{"action":"error"')) { reject(new Error(reply)); return }
      if (++answered === count) resolve()
      else if (sent < count) send()
    })
    for (let i = 0; i < Math.min(window, count); i++) send()
  })
  socket.removeAllListeners('message')
}

async function until (check: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await sleep(20)
  }
}

/** One run: fresh Redis (or none) and fresh instances, subscribers and publishers spread over them. */
export async function scaleRun (mode: ScaleMode, instances: number, shape: ScaleShape): Promise<ScaleRow> {
  const steps: Step[] = []
  const sockets: WebSocket[] = []
  try {
    const backend = await startBackend(mode, steps)
    const t = { teardown: (fn: Step) => steps.push(fn) }
    const servers = await Promise.all(Array.from({ length: instances }, async () =>
      InstanceProcess.start(t, { ...backend.env, LOG_LEVEL: 'warn', MAX_SOCKETS: 100_000 }, { startTimeoutMs: 180_000 })))
    const topics = Array.from({ length: shape.topics }, (_, i) => `sale.s${i}.seats`)
    // subscriber i watches topic i % topics on instance floor(i / per-instance): each topic's subscribers spread over all
    const total = shape.topics * shape.fanout
    let delivered = 0
    for (let from = 0; from < total; from += 100) {
      await Promise.all(Array.from({ length: Math.min(100, total - from) }, async (_, j) => {
        const i = from + j
        const socket = await open(servers[Math.floor(i * instances / total)].wsUrl)
        sockets.push(socket)
        await request(socket, { action: 'subscribe', topic: topics[i % shape.topics] }, 1)
        socket.on('message', (data: Buffer) => { if (data.toString('latin1', 0, 18) === '{"action":"publish') delivered++ })
      }))
    }
    const publishers = await Promise.all(servers.map(async (server) => open(server.wsUrl)))
    sockets.push(...publishers)
    const publishRound = async (count: number): Promise<void> => {
      const before = delivered
      await Promise.all(publishers.map(async (socket, p) => publishAll(socket, topics, p, Math.round(count / instances), shape.window)))
      const expected = before + Math.round(count / instances) * instances * shape.fanout
      await until(() => delivered >= expected, `${expected - before} deliveries arrived (${delivered - before} so far)`)
    }
    // a warm-up round: every instance's publisher sends half as many as the measured round, so that each
    // instance's JIT has compiled its hot paths as far as a lone instance's has (a warm-up split over 8
    // instances left each a cold publish path, and the 8-instance figures measured V8 warming up)
    await publishRound(Math.max(shape.topics, shape.publishes / 2) * instances)
    const pids = servers.map((server) => server.pid)
    // what Redis spends with nothing published (heartbeats, its own cron), taken out of the publishes' share
    const idleFrom = await backend.cpuMs()
    const serverIdleFrom = totalCpuTimeMs(pids, clockTicks)
    const idleStarted = performance.now()
    await sleep(IDLE_MS)
    const idleSeconds = (performance.now() - idleStarted) / 1000
    const serverIdleMsPerSec = (totalCpuTimeMs(pids, clockTicks) - serverIdleFrom) / idleSeconds
    const redisIdleMsPerSec = (await backend.cpuMs() - idleFrom) / idleSeconds
    const serverFrom = totalCpuTimeMs(pids, clockTicks)
    const redisFrom = await backend.cpuMs()
    const started = performance.now()
    const deliveredFrom = delivered
    await publishRound(shape.publishes)
    const seconds = (performance.now() - started) / 1000
    const serverCpuMs = totalCpuTimeMs(pids, clockTicks) - serverFrom
    const redisCpuMs = await backend.cpuMs() - redisFrom
    const publishes = Math.round(shape.publishes / instances) * instances
    const deliveries = delivered - deliveredFrom
    if (deliveries !== publishes * shape.fanout) throw new Error(`${deliveries} deliveries for ${publishes} publishes to ${shape.fanout} subscribers each`)
    return {
      mode,
      instances,
      publishes,
      deliveries,
      serverCpuMs: Math.round(serverCpuMs),
      redisCpuMs: Math.round(redisCpuMs),
      serverUsPerDelivery: (serverCpuMs - serverIdleMsPerSec * seconds) * 1000 / deliveries,
      serverUsPerPublish: (serverCpuMs - serverIdleMsPerSec * seconds) * 1000 / publishes,
      serverIdleMsPerSec,
      redisUsPerPublish: (redisCpuMs - redisIdleMsPerSec * seconds) * 1000 / publishes,
      redisIdleMsPerSec,
      seconds,
      load: loadavg()[0]
    }
  } finally {
    for (const socket of sockets) socket.terminate()
    for (const step of steps.reverse()) await step()
  }
}
