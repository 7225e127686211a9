/** The servers' CPU profiles: the node flags that write them, and the command that summarizes one window of one. */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** bench/results/profiles/, named from the project root in the commands printed for it. */
const PROFILES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'profiles')

/** Node flags that make a server write its CPU profile into bench/results/profiles/ when it exits. */
export const PROFILE_FLAGS = ['--cpu-prof', `--cpu-prof-dir=${PROFILES_DIR}`]

/** CLOCK_MONOTONIC in µs: the clock of a V8 .cpuprofile's timestamps, so a profile can be cut to a window. */
export function monotonicUs (): number {
  return Number(process.hrtime.bigint() / 1000n)
}

/** The command that summarizes the profile of process `pid` over the window FROM:TO (monotonic µs). */
export function summaryCommand (pid: number, fromUs: number, toUs: number): string {
  return `npx tsx bench/profile-summary.ts bench/results/profiles/CPU.*.${pid}.*.cpuprofile --window=${fromUs}:${toUs}`
}
