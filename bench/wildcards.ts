/**
 * Wildcard matching cost: deliveries a second with 10,000 pattern subscriptions (`zoo.zN.*`) against
 * 10,000 exact ones (`zoo.zN.booked`), 100 connections of 100 each, one publisher cycling over the
 * 10,000 topics with 256 publishes in flight. Rounds alternate; `npm run bench:wildcards [-- --redis]`.
 */
import { spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import WebSocket from 'ws'
import { freePort, pinning } from './lib/launch.js'

const TOPICS = 10_000
const CONNECTIONS = 100
const WINDOW = 256
const MEASURE_MS = 5000
const redisUrl = process.argv.includes('--redis') ? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' : undefined

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
  const argv = ['node', '--import', 'tsx', 'src/server.ts']
  const server = spawn(pinning ? 'taskset' : argv[0], pinning ? ['-c', '0', ...argv] : argv.slice(1), {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'error', ...(redisUrl === undefined ? {} : { REDIS_URL: redisUrl, REDIS_PREFIX: `bench${port}:` }) },
    stdio: 'inherit'
  })
  try {
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
    server.kill('SIGTERM')
    await new Promise((resolve) => server.once('exit', resolve))
  }
}

const rates: Record<'exact' | 'pattern', number[]> = { exact: [], pattern: [] }
for (let i = 0; i < 3; i++) {
  const order: Array<'exact' | 'pattern'> = i % 2 === 0 ? ['exact', 'pattern'] : ['pattern', 'exact']
  for (const kind of order) {
    const rate = await round(kind)
    rates[kind].push(rate)
    console.log(`${redisUrl === undefined ? 'embedded' : 'redis'} ${kind}: ${Math.round(rate).toLocaleString('en')} deliveries/s`)
  }
}
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
console.log(`median ratio pattern/exact: ${(median(rates.pattern) / median(rates.exact)).toFixed(2)}x`)
