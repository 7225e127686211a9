/**
 * Work-queue speed, proxyer embedded, proxyer with Redis and BullMQ on the same private Redis, in turn:
 * jobs a second through enqueue, claim and ack with 4 workers, then enqueue-to-claim latency at a paced
 * 1,000 jobs/s. `npm run bench:queues [-- --rounds N]`. The figures move with the machine's load: note
 * `uptime` beside them.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { connect } from 'node:net'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort } from './lib/launch.js'

const JOBS = 5000
const WORKERS = 4
/** Jobs a worker holds at once: a proxyer claim's `max`, a BullMQ worker's concurrency. */
const HELD = 10
/** Enqueues in flight while measuring throughput. */
const IN_FLIGHT = 32
const PACE_PER_SECOND = 1000
const PACED_MS = 5000
const roundsAt = process.argv.indexOf('--rounds')
const ROUNDS = roundsAt > 0 ? Number(process.argv[roundsAt + 1]) : 1

type Stamped = { t: number }
const now = (): number => performance.timeOrigin + performance.now()

/** One way to run a queue: what the producer and the workers call. */
interface Target {
  enqueue: (queue: string, message: Stamped) => Promise<void>
  /** A worker that tells `claimed` of each job as it gets it and `acked` of each batch once it is acked. */
  worker: (queue: string, claimed: (message: Stamped) => void, acked: (count: number) => void) => { stop: () => Promise<void> }
  close: () => Promise<void>
}

async function started (child: ChildProcess, url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited`)
    if (await fetch(url).then((res) => res.ok, () => false)) return
    await sleep(100)
  }
  throw new Error(`${url} did not answer`)
}

async function stopped (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  child.kill('SIGTERM')
  await new Promise((resolve) => child.once('exit', resolve))
}

async function post (url: string, body: unknown, headers: Record<string, string> = {}): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`)
  return res.json()
}

async function proxyer (redisUrl: string | undefined): Promise<Target> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    // generous HTTP timeouts: on a loaded machine a stalled loop must not turn into closed connections
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'error', HTTP_KEEP_ALIVE_TIMEOUT_MS: '60000', HTTP_REQUEST_TIMEOUT_MS: '120000', ...(redisUrl === undefined ? {} : { REDIS_URL: redisUrl, REDIS_PREFIX: `bench${port}:` }) },
    stdio: 'inherit'
  })
  const url = `http://127.0.0.1:${port}`
  await started(child, `${url}/ready`)
  return {
    enqueue: async (queue, message) => {
      // a connection cut mid-request is retried safely under the same key
      const key = { 'idempotency-key': `${queue}-${message.t}-${Math.random()}` }
      await post(`${url}/queues/${queue}/jobs`, { message }, key).catch(async () => post(`${url}/queues/${queue}/jobs`, { message }, key))
    },
    worker: (queue, claimed, acked) => {
      let running = true
      const loop = (async () => {
        // eslint-disable-next-line no-unmodified-loop-condition -- stop() clears it between claims
        while (running) {
          const { jobs } = await post(`${url}/queues/${queue}/claim`, { max: HELD, waitMs: 500 }) as { jobs: Array<{ job: string, receipt: string, message: Stamped }> }
          if (jobs.length === 0) continue
          for (const job of jobs) claimed(job.message)
          await post(`${url}/queues/${queue}/ack`, { jobs: jobs.map(({ job, receipt }) => ({ job, receipt, result: null })) })
          acked(jobs.length)
        }
      })()
      return { stop: async () => { running = false; await loop } }
    },
    close: async () => stopped(child)
  }
}

/** The part of BullMQ this bench uses, typed here: BullMQ lives in bench/node_modules, outside the server's type-checked tree. */
interface BullMQ {
  Queue: new (name: string, options: object) => { add: (name: string, data: unknown) => Promise<unknown>, close: () => Promise<void> }
  Worker: new (name: string, handler: (job: { data: unknown }) => Promise<void>, options: object) => { on: (event: 'completed', fn: () => void) => void, close: () => Promise<void> }
}

async function bullmq (port: number): Promise<Target> {
  const name: string = 'bullmq'
  const { Queue, Worker } = await import(name).catch(() => {
    throw new Error('BullMQ is missing: npm install --prefix bench (or run npm run bench once, which installs the baselines)')
  }) as BullMQ
  const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null }
  const queues = new Map<string, InstanceType<BullMQ['Queue']>>()
  return {
    enqueue: async (name, message) => {
      const queue = queues.get(name) ?? new Queue(name, { connection })
      queues.set(name, queue)
      await queue.add('job', message)
    },
    worker: (name, claimed, acked) => {
      const worker = new Worker(name, async (job) => { claimed(job.data as Stamped) }, { connection, concurrency: HELD })
      worker.on('completed', () => acked(1))
      return { stop: async () => worker.close() }
    },
    close: async () => { await Promise.all([...queues.values()].map(async (queue) => queue.close())) }
  }
}

/** Jobs a second from the first enqueue to the last ack, JOBS enqueued IN_FLIGHT at a time while WORKERS work. */
async function throughput (target: Target, queue: string): Promise<number> {
  let done = 0
  const workers = Array.from({ length: WORKERS }, () => target.worker(queue, () => {}, (count) => { done += count }))
  const began = now()
  let next = 0
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < JOBS) {
      next++
      await target.enqueue(queue, { t: now() })
    }
  }))
  // eslint-disable-next-line no-unmodified-loop-condition -- the workers count it up
  while (done < JOBS) await sleep(5)
  const seconds = (now() - began) / 1000
  await Promise.all(workers.map(async (w) => w.stop()))
  return JOBS / seconds
}

/** Enqueue-to-claim milliseconds at PACE_PER_SECOND for PACED_MS: p50 and p99. */
async function latency (target: Target, queue: string): Promise<{ p50: number, p99: number }> {
  const waits: number[] = []
  const workers = Array.from({ length: WORKERS }, () => target.worker(queue, (message) => waits.push(now() - message.t), () => {}))
  const total = PACE_PER_SECOND * PACED_MS / 1000
  const began = now()
  const sends: Array<Promise<void>> = []
  // ten every 10 ms, on schedule even when a tick comes late
  for (let sent = 0; sent < total;) {
    const due = Math.min(total, Math.floor((now() - began) / 1000 * PACE_PER_SECOND))
    for (; sent < due; sent++) sends.push(target.enqueue(queue, { t: now() }))
    await sleep(10)
  }
  await Promise.all(sends)
  while (waits.length < total) await sleep(5)
  await Promise.all(workers.map(async (w) => w.stop()))
  const sorted = waits.sort((a, b) => a - b)
  return { p50: sorted[Math.floor(total * 0.5)], p99: sorted[Math.floor(total * 0.99)] }
}

const redisPort = await freePort()
const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
try {
  const listening = async (): Promise<boolean> => new Promise((resolve) => {
    const probe = connect(redisPort, '127.0.0.1', () => { probe.end(); resolve(true) }).once('error', () => resolve(false))
  })
  for (let i = 0; i < 100 && !await listening(); i++) await sleep(50)
  const redisUrl = `redis://127.0.0.1:${redisPort}`
  const targets: Array<[string, () => Promise<Target>]> = [
    ['proxyer embedded', async () => proxyer(undefined)],
    ['proxyer redis', async () => proxyer(redisUrl)],
    ['bullmq redis', async () => await bullmq(redisPort)]
  ]
  const results = new Map<string, Array<{ rate: number, p50: number, p99: number }>>()
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, make] of round % 2 === 0 ? targets : [...targets].reverse()) {
      const target = await make()
      try {
        const rate = await throughput(target, `speed${round}`)
        console.log(`${name}: ${Math.round(rate).toLocaleString('en')} jobs/s through enqueue, claim and ack`)
        const { p50, p99 } = await latency(target, `paced${round}`)
        results.set(name, [...results.get(name) ?? [], { rate, p50, p99 }])
        console.log(`${name}: enqueue-to-claim at ${PACE_PER_SECOND}/s p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`)
      } finally {
        await target.close()
      }
    }
  }
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
  const rate = (name: string): number => median((results.get(name) ?? []).map((r) => r.rate))
  console.log(`median jobs/s: proxyer redis / bullmq = ${(rate('proxyer redis') / rate('bullmq redis')).toFixed(2)}x (target >= 2x); embedded / bullmq = ${(rate('proxyer embedded') / rate('bullmq redis')).toFixed(2)}x`)
} finally {
  redis.kill('SIGTERM')
}
