/** Idle connections: the server's resident memory per open, subscribed, silent connection. */
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { rssBytes } from '../lib/proc.js'
import { Rig, round } from './rig.js'
import type { Task, TaskResult } from '../lib/types.js'

const TOPIC = 'idle'
const WARM_CONNECTIONS = 200
const SETTLE_MS = 2000
/** Descriptors kept free for everything else a process opens. */
const SPARE_FILES = 200

export async function idle (task: Task): Promise<TaskResult> {
  const notes: string[] = []
  const wanted = task.params.connections ?? 10_000
  const pid = task.pids[0]
  const limit = Math.min(openFileLimit('self'), openFileLimit(String(pid)))
  const connections = Math.min(wanted, limit - SPARE_FILES - WARM_CONNECTIONS)
  if (connections < wanted) notes.push(`open file limit ${limit}: ${connections} connections instead of ${wanted}`)

  // the code paths of a connection run once before the baseline, so it holds no one-time costs
  const warm = new Rig(task)
  await warm.subscribers(WARM_CONNECTIONS, () => TOPIC)
  warm.close()
  await sleep(SETTLE_MS)
  const before = rssBytes(pid)

  const rig = new Rig(task)
  try {
    await rig.subscribers(connections, () => TOPIC)
    await sleep(SETTLE_MS)
    const after = rssBytes(pid)
    return {
      metrics: {
        connections,
        rssBeforeMb: round(before / 2 ** 20),
        rssAfterMb: round(after / 2 ** 20),
        bytesPerConnection: Math.round((after - before) / connections)
      },
      notes
    }
  } finally {
    rig.close()
  }
}

/** The soft limit on open files of a process ('self' or a pid). */
function openFileLimit (pid: string): number {
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync(`/proc/${pid}/limits`, 'latin1'))
  return match === null || match[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(match[1])
}
