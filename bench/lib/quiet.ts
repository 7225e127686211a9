/**
 * Other work on the machine (a test suite, a build) takes CPU from the server or the generator and
 * skews every figure. Each run waits, for a bounded time, until both cores are nearly idle.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { coreBusyPct, coreTimes } from './proc.js'

const SAMPLE_MS = 1000
const QUIET_PCT = 10

/** Undefined once the machine is quiet; otherwise, after `maxWaitMs`, a note saying how busy it was. */
export async function waitForQuiet (maxWaitMs: number): Promise<string | undefined> {
  const deadline = Date.now() + maxWaitMs
  let busiest = 0
  let warned = false
  while (true) {
    const from = coreTimes()
    await sleep(SAMPLE_MS)
    busiest = Math.max(...coreBusyPct(from, coreTimes()))
    if (busiest < QUIET_PCT) return undefined
    if (Date.now() >= deadline) return `the machine was busy (a core ${busiest.toFixed(0)}% used by other processes) when this run started`
    if (!warned) process.stderr.write(`  waiting for other processes to leave the cores idle (a core is ${busiest.toFixed(0)}% busy)\n`)
    warned = true
  }
}
