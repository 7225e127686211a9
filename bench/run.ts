/**
 * The benchmark suite: starts each server pinned to one core and a load generator pinned
 * to the other, runs the chosen scenarios on proxyer and its baselines, prints the tables and writes
 * bench/results/latest.json. `npm run bench -- --help` for the options.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { CATALOG, CLUSTER_REFERENCE, CLUSTER_ROUNDS, DURATIONS, type Variant } from './lib/catalog.js'
import { GENERATOR_CORE } from './lib/cores.js'
import { Launched, pinning } from './lib/launch.js'
import { waitForQuiet } from './lib/quiet.js'
import { describeMachine, type Machine } from './lib/machine.js'
import { medianWithExtremes } from './lib/median.js'
import { USAGE, parseOptions } from './lib/options.js'
import { otherLoad, targetTable, tables, targets, type RunRecord } from './lib/report.js'
import { startServers, stopServers, type ProxyerRuntime } from './lib/servers.js'
import { nchanMissing } from './lib/nchan.js'
import { PROFILE_FLAGS, summaryCommand } from './lib/profiles.js'
import { runScale, scaleOptions, type ScaleResult } from './lib/scale-report.js'
import type { Durations, GeneratorMessage, ServerKind, Task, TaskResult } from './lib/types.js'

const benchDir = dirname(fileURLToPath(import.meta.url))
const root = dirname(benchDir)
/** A generator that has not answered by then is killed; every scenario bounds its own phases well below. */
const GENERATOR_TIMEOUT_MS = 240_000

function log (line: string): void {
  process.stderr.write(`${line}\n`)
}

/** The baselines' packages live in bench/node_modules, installed on first use. */
function ensureBenchDependencies (): void {
  const needed = ['ws', 'socket.io', 'socket.io-client', '@socket.io/redis-adapter', 'ioredis', 'bullmq']
  if (needed.every((name) => existsSync(join(benchDir, 'node_modules', name, 'package.json')))) return
  const command = existsSync(join(benchDir, 'package-lock.json')) ? 'ci' : 'install'
  log(`installing the benchmark's dependencies (npm ${command} --prefix bench)`)
  const result = spawnSync('npm', [command, '--prefix', benchDir, '--no-audit', '--no-fund'], { stdio: 'inherit' })
  if (result.status !== 0) throw new Error(`npm ${command} --prefix bench failed`)
}

/**
 * Builds proxyer so that it runs without a loader. tsc emits even on type errors (others may be
 * mid-edit), so fresh output is used all the same; without it proxyer runs through tsx.
 */
function proxyerRuntime (): ProxyerRuntime {
  log('building proxyer (npm run build)')
  const started = Date.now()
  const result = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })
  const server = join(root, 'dist', 'src', 'server.js')
  const fresh = existsSync(server) && statSync(server).mtimeMs >= started - 1000
  if (result.status !== 0 && fresh) log('the build reported errors but emitted dist/: running that')
  if (fresh) return { argv: [process.execPath, server], label: 'dist' }
  log('the build emitted nothing: proxyer runs through tsx, with its loader in the measured process')
  return { argv: [process.execPath, '--import', 'tsx', join(root, 'src', 'server.ts')], label: 'tsx' }
}

function runGenerator (task: Task): Promise<TaskResult> {
  const generator = new Launched('generator', [process.execPath, '--import', 'tsx', join(benchDir, 'load', 'generator.ts')], {
    core: GENERATOR_CORE, cwd: root, ipc: true
  })
  return new Promise((resolve, reject) => {
    let settled = false
    const timer = setTimeout(() => {
      generator.child.kill('SIGKILL')
      finish(new Error(`the generator did not finish within ${GENERATOR_TIMEOUT_MS / 1000} s`))
    }, GENERATOR_TIMEOUT_MS)
    const finish = (err: Error | undefined, result?: TaskResult): void => {
      clearTimeout(timer)
      if (settled) return
      settled = true
      if (err !== undefined) reject(err)
      else resolve(result as TaskResult)
    }
    generator.child.on('message', (message: GeneratorMessage) => {
      if (message.type === 'result') finish(undefined, message.result)
      else finish(new Error(message.error))
    })
    // a result still in the IPC channel at exit arrives just after it
    generator.child.on('exit', (code, signal) => setTimeout(() => finish(new Error(`the generator exited (${signal ?? code}) without a result`)), 500))
    generator.child.send(task)
  })
}

interface RunSettings {
  durations: Durations
  /** Rounds of the cluster against the embedded fanout. */
  clusterRounds: number
  machine: Machine
  proxyer: ProxyerRuntime
  waitMs: number
  retries: number
  nodeFlags: string[]
}

/** Other processes' CPU during a run's window past this (percent of a core) make it worth repeating. */
const NOISY_PCT = 20

async function runOne (variant: Variant, server: ServerKind, settings: RunSettings): Promise<RunRecord> {
  const { durations, machine, proxyer, waitMs, nodeFlags } = settings
  const record: RunRecord = { scenario: variant.scenario, label: variant.label, server, params: variant.params, metrics: null, notes: [] }
  const started = performance.now()
  const busy = waitMs > 0 ? await waitForQuiet(waitMs) : undefined
  if (busy !== undefined) record.notes.push(busy)
  let setup
  try {
    setup = await startServers(server, {
      root,
      instances: variant.instances,
      proxyer,
      nodeFlags,
      env: server === 'proxyer' ? variant.proxyerEnv : undefined,
      httpFloor: server === 'proxyer' && variant.proxyerHttpFloor === true
    })
    const result = await runGenerator({
      scenario: variant.scenario,
      server,
      endpoints: setup.endpoints,
      httpFloor: setup.httpFloor,
      pids: setup.processes.map((p) => p.pid),
      clockTicks: machine.clockTicks,
      params: variant.params,
      durations: { warmupMs: durations.warmupMs, measureMs: durations.measureMs * (variant.measureScale ?? 1) }
    })
    record.metrics = result.metrics
    record.notes = result.notes
    const { windowStartUs, windowEndUs } = result.metrics
    if (nodeFlags.length > 0 && server !== 'nchan' && typeof windowStartUs === 'number' && typeof windowEndUs === 'number') {
      record.notes.push(`profiled: ${summaryCommand(setup.processes[0].pid, windowStartUs, windowEndUs)}`)
    }
    const crashed = setup.processes.find((p) => p.exited)
    if (crashed !== undefined) record.notes.push(`${crashed.name} exited during the run: ${crashed.output().slice(-500)}`)
  } catch (err) {
    record.error = (err as Error).message
  } finally {
    if (setup !== undefined) await stopServers(setup.processes)
  }
  log(`  ${variant.scenario} / ${variant.label} / ${server}: ${record.error === undefined ? 'done' : `FAILED: ${record.error.split('\n')[0]}`} in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  return record
}

/** Runs again while other processes disturbed the window, up to `settings.retries` times; keeps the quietest attempt. */
async function runQuietest (variant: Variant, server: ServerKind, settings: RunSettings): Promise<RunRecord> {
  let best = await runOne(variant, server, settings)
  for (let attempt = 1; attempt <= settings.retries && otherLoad(best) > NOISY_PCT; attempt++) {
    log(`  other processes took ${otherLoad(best).toFixed(0)}% of a core during the window: running again`)
    const next = await runOne(variant, server, settings)
    next.notes.push(`attempt ${attempt + 1}; the quietest attempt is kept`)
    if (next.error === undefined && otherLoad(next) < otherLoad(best)) best = next
  }
  if (otherLoad(best) > NOISY_PCT) best.notes.push(`other processes took ${otherLoad(best).toFixed(0)}% of a core during the window: figures are disturbed`)
  return best
}

/**
 * proxyer's cluster against its embedded fanout at 1,000 subscribers, in rounds of the two side by
 * side, alternating which goes first: this VM's speed drifts by a third within minutes, which a
 * ratio to a fanout run minutes earlier would take for the cluster's. The round with the median
 * ratio stands for the variant, with the ratio's extremes over the rounds.
 */
async function runAgainstEmbedded (variant: Variant, settings: RunSettings): Promise<RunRecord> {
  const rounds: Array<{ cluster: RunRecord, ratio: number | null, embedded: number | null }> = []
  for (let round = 0; round < settings.clusterRounds; round++) {
    const run = async (v: Variant): Promise<RunRecord> => runQuietest(v, 'proxyer', settings)
    const [embedded, cluster] = round % 2 === 0
      ? [await run(CLUSTER_REFERENCE), await run(variant)]
      : [await run(variant), await run(CLUSTER_REFERENCE)].reverse()
    const clusterDps = cluster.metrics?.deliveriesPerSec
    const embeddedDps = embedded.metrics?.deliveriesPerSec
    const ratio = typeof clusterDps === 'number' && typeof embeddedDps === 'number' && embeddedDps > 0 ? clusterDps / embeddedDps : null
    rounds.push({ cluster, ratio, embedded: typeof embeddedDps === 'number' ? embeddedDps : null })
  }
  const ratios = rounds.flatMap((r) => r.ratio ?? [])
  const { median: middle, min, max } = medianWithExtremes(ratios)
  const distance = (r: typeof rounds[number]): number => r.ratio === null || middle === null ? Infinity : Math.abs(r.ratio - middle)
  const standing = rounds.reduce((best, r) => distance(r) < distance(best) ? r : best)
  const record = standing.cluster
  if (record.metrics !== null && middle !== null) {
    const thousandths = (value: number): number => Math.round(value * 1000) / 1000
    Object.assign(record.metrics, {
      embeddedDeliveriesPerSec: standing.embedded,
      clusterRatio: thousandths(middle),
      clusterRatioMin: thousandths(min ?? middle),
      clusterRatioMax: thousandths(max ?? middle),
      clusterRounds: ratios.length
    })
  }
  const dps = (value: unknown): string => typeof value === 'number' ? `${Math.round(value / 1000)}k` : 'failed'
  record.notes.push(`by round, cluster / embedded deliveries/s: ${rounds.map((r) => `${dps(r.cluster.metrics?.deliveriesPerSec)} / ${dps(r.embedded)}`).join(', ')}`)
  return record
}

/** The work-queue step, in its own process: it starts its own Redis, servers and BullMQ, and prints its own figures. */
function runQueues (quick: boolean, profile: boolean, proxyer: ProxyerRuntime): void {
  log('running the work-queue step (bench/queues.ts)')
  const args = [join(benchDir, 'queues.ts'), '--rounds', quick ? '1' : '3', ...(proxyer.label === 'tsx' ? ['--tsx'] : []), ...(profile ? ['--profile'] : [])]
  const result = spawnSync(process.execPath, ['--import', 'tsx', ...args], { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) log(`the work-queue step failed (exit ${String(result.status)})`)
}

function writeResults (body: object): string {
  const dir = join(benchDir, 'results')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, 'latest.json')
  writeFileSync(`${file}.tmp`, `${JSON.stringify(body, null, 2)}\n`)
  renameSync(`${file}.tmp`, file)
  return file
}

async function main (): Promise<void> {
  if (process.argv.includes('--help')) {
    console.log(USAGE)
    return
  }
  const options = parseOptions(process.argv.slice(2))
  const missing = options.servers.includes('nchan') ? nchanMissing() : undefined
  if (missing !== undefined) {
    log(`Nchan is left out: ${missing}`)
    options.servers = options.servers.filter((s) => s !== 'nchan')
  }
  const mode = options.quick ? 'quick' : 'full'
  const durations = DURATIONS[mode]
  ensureBenchDependencies()
  const proxyer = options.servers.includes('proxyer') ? proxyerRuntime() : { argv: [], label: 'dist' as const }
  const machine = describeMachine(pinning)
  if (!pinning) log('taskset or a second core is missing: server and generator share the cores, figures are rough')

  const nodeFlags = options.profile ? PROFILE_FLAGS : []
  const settings: RunSettings = {
    durations, clusterRounds: CLUSTER_ROUNDS[mode], machine, proxyer, waitMs: options.waitSeconds * 1000, retries: options.retries, nodeFlags
  }
  const variants = CATALOG.filter((v) => options.scenarios.includes(v.scenario))
  log(`running ${variants.length} variants (${mode}) on ${options.servers.join(', ')}`)
  const started = performance.now()
  const runs: RunRecord[] = []
  for (const variant of variants) {
    // in the order --servers names them, so that rounds can alternate which server goes first
    for (const server of options.servers.filter((s) => variant.servers.includes(s))) {
      runs.push(variant.scenario === 'cluster' && server === 'proxyer' ? await runAgainstEmbedded(variant, settings) : await runQuietest(variant, server, settings))
    }
  }
  if (options.queues) runQueues(options.quick, options.profile, proxyer)
  // the queue step alone: its figures are printed, and the last suite's latest.json is kept
  if (variants.length === 0 && !options.scale) return
  const seconds = (performance.now() - started) / 1000

  const reached = targets(runs)
  console.log(`\nproxyer benchmark (${mode}), ${machine.date}`)
  console.log(`machine: ${machine.nproc} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, ` +
    `${machine.pinned ? 'server on core 0, generator on core 1' : 'not pinned'}, proxyer from ${proxyer.label}`)
  console.log(`windows: warm-up ${durations.warmupMs} ms, measure ${durations.measureMs} ms; total ${seconds.toFixed(0)} s\n`)
  // `npm run bench -- scale` names no scenario of the table: nothing to print but the scale figures
  if (variants.length > 0) {
    console.log(tables(runs))
    console.log(`\nTargets\n${targetTable(reached)}`)
  }
  let scale: ScaleResult | undefined
  if (options.scale) {
    log('scale: CPU per delivery and per publish at 1 to 8 instances (bench/lib/scale.ts)')
    scale = await runScale(scaleOptions([], options.quick), log)
    console.log(`\nScale (CPU per message, every instance's, net of idle)\n${scale.table}`)
  }
  const file = writeResults({ machine, mode, durations, proxyerRuntime: proxyer.label, totalSeconds: Math.round(seconds), runs, targets: reached, scale: scale === undefined ? undefined : { rows: scale.rows, targets: scale.targets } })
  console.log(`\nwritten to ${file}`)
}

await main()
