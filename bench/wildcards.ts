/**
 * Wildcard matching cost: deliveries a second with 10,000 pattern subscriptions (`zoo.zN.*`) against
 * 10,000 exact ones (`zoo.zN.booked`), 100 connections of 100 each, one publisher cycling over the
 * 10,000 topics with 256 publishes in flight. `npm run bench:wildcards [-- --redis] [-- --rounds=N]`.
 *
 * The two kinds run in pairs, one after the other in alternating order, each on a fresh server (and in
 * Redis mode a fresh redis-server of its own, never the machine's shared one); the figure is the median
 * of the pairs' ratios, so load that drifts over the run shifts both sides of a pair alike. The server
 * and its Redis run on core 0 and this process (the clients) on core 1, where taskset is found.
 */
import { spawnSync } from 'node:child_process'
import { loadavg } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import WebSocket from 'ws'
import { freePort, Launched, pinning, waitForPort } from './lib/launch.js'
import { GENERATOR_CORE, SERVER_CORE } from './lib/cores.js'
import { medianWithExtremes } from './lib/median.js'

const TOPICS = 10_000
const CONNECTIONS = 100
const WINDOW = 256
const MEASURE_MS = 5000
const redis = process.argv.includes('--redis')
const rounds = Number(process.argv.find((arg) => arg.startsWith('--rounds='))?.slice('--rounds='.length) ?? 7)
if (pinning) spawnSync('taskset', ['-cp', String(GENERATOR_CORE), String(process.pid)])

async function open (url: string): Promise<WebSocket> {
  const socket = new WebSocket(url)
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject))
  return socket
}

async function request (socket: WebSocket, frame: object): Promise<void> {
  const id = Math.random().toString(36).slice(2)
  socket.send(JSON.stringify({ ...frame, id }))
  await new Promise<void>((resolve) => {
    const onMessage = (data: Buffer): void => {
      if (data.toString().includes(`"id":"${id}"`)) {
        socket.off('message', onMessage)
        resolve()
      }
    }
    socket.on('message', onMessage)
  })
}

async function round (kind: 'exact' | 'pattern'): Promise<number> {
  const port = await freePort()
  const launched: Launched[] = []
  const env: Record<string, string> = { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'error' }
  if (redis) {
    const redisPort = await freePort()
    const server = new Launched('redis-server', ['redis-server', '--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { core: SERVER_CORE, cwd: process.cwd() })
    launched.push(server)
    await waitForPort(redisPort, server)
    env.REDIS_URL = `redis://127.0.0.1:${redisPort}`
  }
  const server = new Launched('proxyer', ['node', '--import', 'tsx', 'src/server.ts'], { core: SERVER_CORE, cwd: process.cwd(), env })
  launched.push(server)
  try {
    await waitForPort(port, server)
    const url = `ws://127.0.0.1:${port}/message`
    for (;;) {
      try { await (await open(url)).close(); break } catch { await sleep(100) }
    }
    let delivered = 0
    const subscribers = await Promise.all(Array.from({ length: CONNECTIONS }, async () => open(url)))
    await Promise.all(subscribers.map(async (socket, c) => {
      for (let j = 0; j < TOPICS / CONNECTIONS; j++) {
        const n = c * (TOPICS / CONNECTIONS) + j
        await request(socket, { action: 'subscribe', topic: kind === 'exact' ? `zoo.z${n}.booked` : `zoo.z${n}.*` })
      }
      socket.on('message', () => { delivered++ })
    }))
    const publisher = await open(url)
    let next = 0
    let running = true
    const send = (): void => { publisher.send(JSON.stringify({ action: 'publish', topic: `zoo.z${next++ % TOPICS}.booked`, message: 'b', id: 1 })) }
    publisher.on('message', () => { if (running) send() })
    for (let i = 0; i < WINDOW; i++) send()
    await sleep(1000)
    const from = delivered
    await sleep(MEASURE_MS)
    const rate = (delivered - from) / (MEASURE_MS / 1000)
    running = false
    for (const socket of [...subscribers, publisher]) socket.terminate()
    return rate
  } finally {
    for (const child of launched.reverse()) await child.stop()
  }
}

const ratios: number[] = []
console.log(`${redis ? 'redis' : 'embedded'}: ${rounds} pairs of rounds, load average at start ${loadavg().map((load) => load.toFixed(1)).join(' ')}`)
for (let i = 0; i < rounds; i++) {
  const order: Array<'exact' | 'pattern'> = i % 2 === 0 ? ['exact', 'pattern'] : ['pattern', 'exact']
  const rate: Record<string, number> = {}
  for (const kind of order) rate[kind] = await round(kind)
  ratios.push(rate.pattern / rate.exact)
  console.log(`pair ${i + 1}: exact ${Math.round(rate.exact).toLocaleString('en')}, pattern ${Math.round(rate.pattern).toLocaleString('en')} deliveries/s: ${(rate.pattern / rate.exact).toFixed(2)}x`)
}
const { median, min, max } = medianWithExtremes(ratios)
console.log(`median ratio pattern/exact over ${rounds} pairs: ${median?.toFixed(2)}x (from ${min?.toFixed(2)}x to ${max?.toFixed(2)}x); load average at end ${loadavg().map((load) => load.toFixed(1)).join(' ')}`)
