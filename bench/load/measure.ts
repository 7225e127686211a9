/** Snapshots taken at the edges of a measurement window, and the rates between two of them. */
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { coreBusyPct, coreTimes, cpuTimeMs, type CoreTimes } from '../lib/proc.js'
import { GENERATOR_CORE, SERVER_CORE } from '../lib/cores.js'
import { monotonicUs } from '../lib/profiles.js'
import type { Task } from '../lib/types.js'

export interface Snapshot {
  at: number
  /** CLOCK_MONOTONIC in µs: the clock of a V8 .cpuprofile's timestamps, so a profile can be cut to the window. */
  monotonicUs: number
  generatorCpu: NodeJS.CpuUsage
  serverCpuMs: number
  /** Each server-side process's CPU time, in the order of the task's pids. */
  processCpuMs: number[]
  delivered: number
  published: number
  cores: CoreTimes[]
}

export function snapshot (task: Task, delivered: number, published: number): Snapshot {
  return {
    at: performance.now(),
    monotonicUs: monotonicUs(),
    generatorCpu: process.cpuUsage(),
    ...processTimes(task),
    delivered,
    published,
    cores: coreTimes()
  }
}

function processTimes (task: Task): { serverCpuMs: number, processCpuMs: number[] } {
  const processCpuMs = task.pids.map((pid) => cpuTimeMs(pid, task.clockTicks))
  return { serverCpuMs: processCpuMs.reduce((sum, ms) => sum + ms, 0), processCpuMs }
}

export interface WindowRates {
  seconds: number
  deliveriesPerSec: number
  publishesPerSec: number
  /** Percent of one core, summed over the server-side processes. */
  serverCpuPct: number
  /** Percent of one core: near 100 means the generator, not the server, set the pace. */
  generatorCpuPct: number
  serverCpuUsPerDelivery: number | null
  serverCpuUsPerPublish: number | null
  /**
   * Percent of a core used by other processes of the machine (the server core, then the generator's):
   * the benchmark's figures hold only while these stay near 0.
   */
  otherLoadServerCorePct: number
  otherLoadGeneratorCorePct: number
  /** Percent of a core for each server-side process (instances, then Redis), as "a/b/c". */
  serverCpuPctByProcess: string
  /** The window's edges on the monotonic clock (µs), for `profile-summary.ts --window`. */
  windowStartUs: number
  windowEndUs: number
}

export function rates (from: Snapshot, to: Snapshot): WindowRates {
  const ms = to.at - from.at
  const delivered = to.delivered - from.delivered
  const published = to.published - from.published
  const serverMs = to.serverCpuMs - from.serverCpuMs
  const generatorMs = (to.generatorCpu.user + to.generatorCpu.system - from.generatorCpu.user - from.generatorCpu.system) / 1000
  const busy = coreBusyPct(from.cores, to.cores)
  const serverCpuPct = serverMs / ms * 100
  const generatorCpuPct = generatorMs / ms * 100
  return {
    seconds: ms / 1000,
    deliveriesPerSec: delivered / ms * 1000,
    publishesPerSec: published / ms * 1000,
    serverCpuPct,
    generatorCpuPct,
    serverCpuUsPerDelivery: delivered > 0 ? serverMs * 1000 / delivered : null,
    serverCpuUsPerPublish: published > 0 ? serverMs * 1000 / published : null,
    otherLoadServerCorePct: Math.max(0, (busy[SERVER_CORE] ?? 0) - serverCpuPct),
    otherLoadGeneratorCorePct: Math.max(0, (busy[GENERATOR_CORE] ?? 0) - generatorCpuPct),
    serverCpuPctByProcess: to.processCpuMs.map((cpu, i) => ((cpu - from.processCpuMs[i]) / ms * 100).toFixed(0)).join('/'),
    windowStartUs: from.monotonicUs,
    windowEndUs: to.monotonicUs
  }
}

/** Waits until `pending()` reaches 0, stops making progress for `idleMs`, or `maxMs` passes. */
export async function drain (pending: () => number, idleMs = 2000, maxMs = 15_000): Promise<void> {
  const deadline = performance.now() + maxMs
  let last = pending()
  let lastChange = performance.now()
  while (pending() > 0 && performance.now() < deadline) {
    await sleep(20)
    const now = pending()
    if (now !== last) {
      last = now
      lastChange = performance.now()
    } else if (performance.now() - lastChange > idleMs) {
      return
    }
  }
}

/** Opens `count` clients with at most `concurrency` handshakes at once; fails past `timeoutMs`. */
export async function openAll<T> (count: number, open: (index: number) => Promise<T>, concurrency = 200, timeoutMs = 90_000): Promise<T[]> {
  const clients: T[] = new Array(count)
  let next = 0
  let opened = 0
  const timeout = AbortSignal.timeout(timeoutMs)
  const expired = new Promise<never>((resolve, reject) => {
    timeout.addEventListener('abort', () => reject(new Error(`opened only ${opened} of ${count} connections in ${timeoutMs / 1000} s`)))
  })
  // raced below while the workers run; once they are done nobody awaits it, and its late rejection must not crash the run
  expired.catch(() => {})
  const worker = async (): Promise<void> => {
    while (next < count) {
      timeout.throwIfAborted()
      const index = next++
      clients[index] = await Promise.race([open(index), expired])
      opened++
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
  return clients
}
