/** The jobs watched on this instance: their place in line at most every interval, then their outcome. */
import type { JobEvent, JobListener, JobStatus } from './work-queue.js'

interface Watched {
  queue: string
  job: string
  listeners: Set<JobListener>
  /** The last position told, so only changes go out. */
  last: number
}

/** What the watchers ask the engine: positions (0 held, null finished or gone) and a job's status. */
export interface PositionSource {
  positions (queue: string, jobs: string[]): Promise<Array<number | null>>
  status (queue: string, job: string): Promise<JobStatus | undefined>
}

export function statusEvent (status: JobStatus): JobEvent {
  const { queue, job } = status
  // both engines keep a finished job's result (null when none was given) and a failed one's last error
  if (status.state === 'done') return { type: 'done', queue, job, result: status.result }
  if (status.state === 'failed') return { type: 'failed', queue, job, error: status.error as string, attempts: status.attempts }
  // a waiting job always has a place (a delayed one the place it comes back to); a held one has none
  return { type: 'position', queue, job, position: status.position ?? 0 }
}

export class JobWatchers {
  private readonly watched = new Map<string, Watched>()
  private readonly timer: NodeJS.Timeout
  private ticking = false

  constructor (private readonly source: PositionSource, intervalMs: number, onError: (err: unknown) => void) {
    this.timer = setInterval(() => { this.tick().catch(onError) }, intervalMs)
    this.timer.unref()
  }

  /**
   * Tells the listener the job's state at once, and keeps it while the job is unfinished. With `placed`
   * (the place its enqueue just answered) the engine is not asked, and the listener is kept before
   * anything is awaited, so an outcome that follows at once still reaches it.
   */
  async watch (queue: string, job: string, listener: JobListener, placed?: number): Promise<(() => void) | undefined> {
    const status = placed === undefined ? await this.source.status(queue, job) : { queue, job, state: 'waiting' as const, position: placed, attempts: 0 }
    if (status === undefined) return undefined
    const event = statusEvent(status)
    listener(event)
    if (event.type !== 'position') return () => {}
    const key = `${queue}\n${job}`
    const entry = this.watched.get(key) ?? { queue, job, listeners: new Set(), last: event.position }
    this.watched.set(key, entry)
    entry.listeners.add(listener)
    return () => {
      entry.listeners.delete(listener)
      if (entry.listeners.size === 0 && this.watched.get(key) === entry) this.watched.delete(key)
    }
  }

  /** The job's outcome, from this instance or another: told to its watchers, who are then let go. */
  finish (event: JobEvent): void {
    const key = `${event.queue}\n${event.job}`
    const entry = this.watched.get(key)
    if (entry === undefined) return
    this.watched.delete(key)
    for (const listener of entry.listeners) listener(event)
  }

  /** One look per watched queue; a job found finished (its event missed) is finished from its status. */
  async tick (): Promise<void> {
    if (this.ticking) return
    this.ticking = true
    try {
      const byQueue = new Map<string, Watched[]>()
      for (const entry of this.watched.values()) {
        const list = byQueue.get(entry.queue) ?? []
        byQueue.set(entry.queue, list)
        list.push(entry)
      }
      for (const [queue, entries] of byQueue) {
        const positions = await this.source.positions(queue, entries.map((e) => e.job))
        for (const [i, entry] of entries.entries()) {
          const position = positions[i]
          if (position === null) {
            const status = await this.source.status(queue, entry.job)
            if (status === undefined) this.finish({ type: 'failed', queue, job: entry.job, error: 'the job expired', attempts: 0 })
            else if (status.state === 'done' || status.state === 'failed') this.finish(statusEvent(status))
          } else if (position !== entry.last) {
            entry.last = position
            const event: JobEvent = { type: 'position', queue, job: entry.job, position }
            for (const listener of entry.listeners) listener(event)
          }
        }
      }
    } finally {
      this.ticking = false
    }
  }

  close (): void {
    clearInterval(this.timer)
    this.watched.clear()
  }
}
