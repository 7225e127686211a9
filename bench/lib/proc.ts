/** Reads another process's CPU time and resident memory from /proc (Linux). */
import { readFileSync } from 'node:fs'

/** User plus system CPU time of a process, all threads, in milliseconds; 0 once it is gone. */
export function cpuTimeMs (pid: number, clockTicks: number): number {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
  } catch {
    return 0
  }
  // the command name in parentheses may hold spaces: fields are counted after its closing bracket
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  return (utime + stime) * 1000 / clockTicks
}

export function totalCpuTimeMs (pids: number[], clockTicks: number): number {
  let total = 0
  for (const pid of pids) total += cpuTimeMs(pid, clockTicks)
  return total
}

/** Resident set size in bytes; 0 once the process is gone. */
export function rssBytes (pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))
    return match === null ? 0 : Number(match[1]) * 1024
  } catch {
    return 0
  }
}

export interface CoreTimes {
  /** Clock ticks spent on anything but idle and iowait. */
  busy: number
  total: number
}

/** Per-core times from /proc/stat, indexed by core number. */
export function coreTimes (): CoreTimes[] {
  const cores: CoreTimes[] = []
  for (const line of readFileSync('/proc/stat', 'latin1').split('\n')) {
    const match = /^cpu(\d+) (.*)$/.exec(line)
    if (match === null) continue
    const [user, nice, system, idle, iowait, irq, softirq, steal] = match[2].trim().split(/\s+/).map(Number)
    const busy = user + nice + system + irq + softirq + steal
    cores[Number(match[1])] = { busy, total: busy + idle + iowait }
  }
  return cores
}

/** Percent busy of each core between two readings. */
export function coreBusyPct (from: CoreTimes[], to: CoreTimes[]): number[] {
  return to.map((core, i) => {
    const total = core.total - (from[i]?.total ?? 0)
    return total > 0 ? (core.busy - (from[i]?.busy ?? 0)) / total * 100 : 0
  })
}
