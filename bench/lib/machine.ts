/** What the figures were measured on. */
import { readFileSync } from 'node:fs'
import { availableParallelism, release, totalmem } from 'node:os'
import { execFileSync } from 'node:child_process'

export interface Machine {
  nproc: number
  cpuModel: string
  memoryGiB: number
  kernel: string
  node: string
  /** Clock ticks a second, the unit of /proc/PID/stat's CPU times. */
  clockTicks: number
  openFileLimit: string
  pinned: boolean
  date: string
}

export function describeMachine (pinned: boolean): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'latin1')
  return {
    nproc: availableParallelism(),
    cpuModel: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    clockTicks: Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()),
    openFileLimit: execFileSync('sh', ['-c', 'ulimit -n']).toString().trim(),
    pinned,
    date: new Date().toISOString()
  }
}
