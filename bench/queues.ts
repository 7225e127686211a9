/**
 * Work-queue speed: proxyer embedded, proxyer with Redis and BullMQ on the same private Redis, in turn, each
 * path of the product measured apart. Producers: customers' browsers enqueue over the WebSocket (pipelined
 * `enqueue` actions, each socket then told its jobs' outcomes), backends over HTTP (`POST /queues/:q/jobs`,
 * keep-alive); BullMQ's producer calls Redis directly (`Queue.add`). Workers: HTTP claims in batches with a
 * batch ack, or socket consumers with a prefetch; BullMQ's `Worker`. For each: jobs a second and the CPU
 * every process spent per job (bench client, proxyer, redis-server), then enqueue-to-claim latency at a
 * paced 1,000 jobs/s. `npm run bench:queues [-- --rounds N] [-- --profile]`, or `npm run bench -- queues`.
 * The figures move with the machine's load: note `uptime` beside them. With --profile the proxyer servers
 * run under --cpu-prof, and each phase prints its window for `bench/profile-summary.ts --window=`.
 */
import { spawn } from 'node:child_process'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { connect } from 'node:net'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort } from './lib/launch.js'
import { cpuTimeMs } from './lib/proc.js'
import { median } from './lib/median.js'
import { PROFILE_FLAGS, monotonicUs, summaryCommand } from './lib/profiles.js'
import { bullmqTarget, proxyerTarget, type Target } from './queue-clients.js'

/** Jobs per throughput phase. */
const JOBS = 5000
const WORKERS = 4
/** Jobs a worker holds at once: a claim's `max`, a socket consumer's prefetch, a BullMQ worker's concurrency. */
const HELD = 10
const PACE_PER_SECOND = 1000
const PACED_MS = 3000
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim())

const now = (): number => performance.timeOrigin + performance.now()

interface Phase {
  /** Jobs a second. */
  rate: number
  /** The phase on CLOCK_MONOTONIC in µs, the clock of a .cpuprofile's timestamps. */
  fromUs: number
  toUs: number
  /** CPU µs per job: the bench client, the server (none for BullMQ), redis-server (none for embedded). */
  clientUs: number
  serverUs: number
  redisUs: number
}

type CpuPerJob = Pick<Phase, 'clientUs' | 'serverUs' | 'redisUs'>

/** CPU time of the three processes, to charge each phase its own cost. */
class CpuMeter {
  constructor (private readonly serverPid: number | undefined, private readonly redisPid: number) {}

  start (): () => CpuPerJob & { jobs: (jobs: number) => CpuPerJob } {
    const client = process.cpuUsage()
    const server = this.serverPid === undefined ? 0 : cpuTimeMs(this.serverPid, CLOCK_TICKS)
    const redis = cpuTimeMs(this.redisPid, CLOCK_TICKS)
    return () => {
      const used = process.cpuUsage(client)
      const spent = {
        clientUs: used.user + used.system,
        serverUs: this.serverPid === undefined ? 0 : (cpuTimeMs(this.serverPid, CLOCK_TICKS) - server) * 1000,
        redisUs: (cpuTimeMs(this.redisPid, CLOCK_TICKS) - redis) * 1000
      }
      return { ...spent, jobs: (jobs) => ({ clientUs: spent.clientUs / jobs, serverUs: spent.serverUs / jobs, redisUs: spent.redisUs / jobs }) }
    }
  }
}

async function measured (meter: CpuMeter, jobs: number, work: () => Promise<void>): Promise<Phase> {
  const stop = meter.start()
  const began = now()
  const from = monotonicUs()
  await work()
  const seconds = (now() - began) / 1000
  return { rate: jobs / seconds, fromUs: from, toUs: monotonicUs(), ...stop().jobs(jobs) }
}

async function until (done: () => boolean): Promise<void> {
  while (!done()) await sleep(2)
}

/** Enqueues JOBS through the target's producer, nobody consuming. */
async function fill (target: Target, meter: CpuMeter, queue: string, producer: string): Promise<Phase> {
  return measured(meter, JOBS, async () => target.produce(producer, queue, JOBS, () => ({ t: now() })))
}

/** Claims and acks the JOBS waiting on `queue`. */
async function drain (target: Target, meter: CpuMeter, queue: string, kind: string): Promise<Phase> {
  let done = 0
  let workers: Array<{ stop: () => Promise<void> }> = []
  const phase = await measured(meter, JOBS, async () => {
    workers = Array.from({ length: WORKERS }, () => target.worker(kind, queue, HELD, () => {}, (count) => { done += count }))
    await until(() => done >= JOBS)
  })
  await Promise.all(workers.map(async (w) => w.stop()))
  return phase
}

/** Enqueue, claim and ack at once: jobs a second from the first enqueue to the last ack. */
async function flow (target: Target, meter: CpuMeter, queue: string, producer: string, kind: string): Promise<Phase> {
  let done = 0
  let workers: Array<{ stop: () => Promise<void> }> = []
  const phase = await measured(meter, JOBS, async () => {
    workers = Array.from({ length: WORKERS }, () => target.worker(kind, queue, HELD, () => {}, (count) => { done += count }))
    await target.produce(producer, queue, JOBS, () => ({ t: now() }))
    await until(() => done >= JOBS)
  })
  await Promise.all(workers.map(async (w) => w.stop()))
  return phase
}

/** Enqueue-to-claim milliseconds at PACE_PER_SECOND for PACED_MS: p50 and p99. */
async function latency (target: Target, queue: string, producer: string, kind: string): Promise<{ p50: number, p99: number }> {
  const waits: number[] = []
  const workers = Array.from({ length: WORKERS }, () => target.worker(kind, queue, HELD, (message) => waits.push(now() - message.t), () => {}))
  // let the workers settle into their wait
  await sleep(200)
  await target.paced(producer, queue, PACE_PER_SECOND, PACED_MS, () => ({ t: now() }))
  const total = PACE_PER_SECOND * PACED_MS / 1000
  await until(() => waits.length >= total)
  await Promise.all(workers.map(async (w) => w.stop()))
  const sorted = waits.sort((a, b) => a - b)
  return { p50: sorted[Math.floor(total * 0.5)], p99: sorted[Math.floor(total * 0.99)] }
}

interface Figures {
  phases: Map<string, Phase>
  latencies: Map<string, { p50: number, p99: number }>
}

/** The paths one target offers, by the name they are reported under. */
async function measure (target: Target, meter: CpuMeter, round: number, name: string): Promise<Figures> {
  const phases = new Map<string, Phase>()
  const latencies = new Map<string, { p50: number, p99: number }>()
  const report = (path: string, phase: Phase): void => {
    phases.set(path, phase)
    const cpu = `CPU µs/job: client ${phase.clientUs.toFixed(0)}, server ${phase.serverUs.toFixed(0)}, redis ${phase.redisUs.toFixed(0)}`
    console.log(`${name}: ${path}: ${Math.round(phase.rate).toLocaleString('en')} jobs/s (${cpu})`)
    if (PROFILE && target.pid !== undefined) console.log(`  profile: ${summaryCommand(target.pid, phase.fromUs, phase.toUs)}`)
  }
  for (const producer of target.producers) report(`enqueue ${producer}`, await fill(target, meter, `fill-${producer}-${round}`, producer))
  // each worker path drains one of the filled queues
  for (const [i, kind] of target.workers.entries()) {
    report(`claim+ack ${kind}`, await drain(target, meter, `fill-${target.producers[i % target.producers.length]}-${round}`, kind))
  }
  for (const producer of target.producers) {
    for (const kind of target.workers) report(`flow ${producer} -> ${kind}`, await flow(target, meter, `flow-${producer}-${kind}-${round}`, producer, kind))
  }
  // latency from the first producer path: customers' sockets for proxyer
  const producer = target.producers[0]
  for (const kind of target.workers) {
    const { p50, p99 } = await latency(target, `paced-${kind}-${round}`, producer, kind)
    latencies.set(kind, { p50, p99 })
    console.log(`${name}: enqueue-to-claim, ${producer} -> ${kind} at ${PACE_PER_SECOND}/s: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`)
  }
  return { phases, latencies }
}

/** The figures as JSON beside the suite's: bench/results/queues.json. */
function write (results: Map<string, Figures[]>, load: string[]): void {
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'results')
  mkdirSync(dir, { recursive: true })
  const rounds = Object.fromEntries([...results].map(([name, figures]) => [name, figures.map((f) => ({
    phases: Object.fromEntries(f.phases), latencies: Object.fromEntries(f.latencies)
  }))]))
  writeFileSync(join(dir, 'queues.json'), `${JSON.stringify({ date: new Date().toISOString(), jobs: JOBS, workers: WORKERS, held: HELD, load, rounds }, null, 2)}\n`)
}

function summary (results: Map<string, Figures[]>): void {
  const spread = (values: number[], digits: number): string => {
    const sorted = [...values].sort((a, b) => a - b)
    return `${median(sorted)?.toFixed(digits)} (${sorted[0].toFixed(digits)}-${sorted[sorted.length - 1].toFixed(digits)})`
  }
  console.log(`\nmedians over ${ROUNDS} round(s), (lowest-highest):`)
  for (const [name, rounds] of results) {
    for (const path of rounds[0].phases.keys()) {
      const phases = rounds.map((r) => r.phases.get(path) as Phase)
      const cpu = (pick: (p: Phase) => number): number => median(phases.map(pick)) ?? 0
      console.log(`  ${name.padEnd(16)} ${path.padEnd(24)} ${spread(phases.map((p) => p.rate), 0).padEnd(24)} jobs/s; CPU µs/job ` +
        `client ${cpu((p) => p.clientUs).toFixed(0)}, server ${cpu((p) => p.serverUs).toFixed(0)}, redis ${cpu((p) => p.redisUs).toFixed(0)}`)
    }
    for (const kind of rounds[0].latencies.keys()) {
      const lat = rounds.map((r) => r.latencies.get(kind) as { p50: number, p99: number })
      console.log(`  ${name.padEnd(16)} latency -> ${kind.padEnd(14)} p50 ${spread(lat.map((l) => l.p50), 1)} ms, p99 ${spread(lat.map((l) => l.p99), 1)} ms`)
    }
  }
  const rate = (name: string, path: string): number => median((results.get(name) ?? []).map((r) => r.phases.get(path)?.rate ?? 0)) ?? 0
  const bull = rate('bullmq redis', 'flow direct -> bullmq')
  console.log('\nagainst the target (proxyer redis end-to-end jobs/s >= 2x BullMQ\'s; p99 enqueue-to-claim < 20 ms at 1,000/s):')
  for (const path of (results.get('proxyer redis') ?? [])[0]?.phases.keys() ?? []) {
    if (!path.startsWith('flow')) continue
    console.log(`  proxyer redis ${path}: ${(rate('proxyer redis', path) / bull).toFixed(2)}x BullMQ; embedded ${(rate('proxyer embedded', path) / bull).toFixed(2)}x`)
  }
  for (const kind of ['http-claim', 'socket-consume']) {
    const p99 = median((results.get('proxyer redis') ?? []).map((r) => r.latencies.get(kind)?.p99 ?? Infinity)) ?? Infinity
    console.log(`  proxyer redis p99 -> ${kind}: ${p99.toFixed(1)} ms (${p99 < 20 ? 'under' : 'over'} 20 ms)`)
  }
}

const roundsAt = process.argv.indexOf('--rounds')
const ROUNDS = roundsAt > 0 ? Number(process.argv[roundsAt + 1]) : 1
const PROFILE = process.argv.includes('--profile')
// the built server when there is one (npm run bench builds it), else through tsx
const built = 'dist/src/server.js'
const serverArgv = [
  ...(PROFILE ? PROFILE_FLAGS : []),
  ...(process.argv.includes('--tsx') || !existsSync(built) ? ['--import', 'tsx', 'src/server.ts'] : [built])
]
const uptime = (): string => execFileSync('uptime').toString().trim()
const load = [uptime()]
console.log(`proxyer from ${serverArgv.at(-1) as string}; ${load[0]}`)

const redisPort = await freePort()
const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
try {
  const listening = async (): Promise<boolean> => new Promise((resolve) => {
    const probe = connect(redisPort, '127.0.0.1', () => { probe.end(); resolve(true) }).once('error', () => resolve(false))
  })
  for (let i = 0; i < 100 && !await listening(); i++) await sleep(50)
  const redisUrl = `redis://127.0.0.1:${redisPort}`
  const targets: Array<[string, () => Promise<Target>]> = [
    ['proxyer embedded', async () => proxyerTarget(serverArgv, undefined)],
    ['proxyer redis', async () => proxyerTarget(serverArgv, redisUrl)],
    ['bullmq redis', async () => bullmqTarget(redisPort)]
  ]
  const results = new Map<string, Figures[]>(targets.map(([name]) => [name, []]))
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, make] of round % 2 === 0 ? targets : [...targets].reverse()) {
      const target = await make()
      try {
        const meter = new CpuMeter(target.pid, redis.pid as number)
        results.get(name)?.push(await measure(target, meter, round, name))
      } finally {
        await target.close()
      }
    }
    load.push(uptime())
    console.log(load.at(-1))
  }
  summary(results)
  write(results, load)
} finally {
  redis.kill('SIGTERM')
}
