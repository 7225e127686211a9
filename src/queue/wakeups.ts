/** Claims waiting for a job on a queue, woken when one may be there (locally, or from Redis pub/sub). */
import type { ClaimedJob, ClaimOptions } from './work-queue.js'

export class Wakeups {
  private readonly waiters = new Map<string, Set<() => void>>()
  private closed = false

  wake (queue: string): void {
    const set = this.waiters.get(queue)
    if (set === undefined) return
    this.waiters.delete(queue)
    for (const wake of set) wake()
  }

  /** Ends every wait (the server is shutting down): waiting claims answer with what they have. */
  close (): void {
    this.closed = true
    for (const queue of [...this.waiters.keys()]) this.wake(queue)
  }

  /**
   * Runs `attempt` until it finds jobs, waiting for a wake-up between tries, until `waitMs`
   * has passed or the signal aborts. The waiter is registered before each try, so a job that
   * arrives while the try runs still wakes it.
   */
  async claim (queue: string, options: ClaimOptions, attempt: () => Promise<ClaimedJob[]>): Promise<ClaimedJob[]> {
    const deadline = Date.now() + options.waitMs
    for (;;) {
      let wake!: () => void
      const woken = new Promise<void>((resolve) => { wake = resolve })
      const set = this.waiters.get(queue) ?? new Set()
      this.waiters.set(queue, set)
      set.add(wake)
      let jobs: ClaimedJob[]
      try {
        jobs = await attempt()
        const left = deadline - Date.now()
        if (jobs.length > 0 || left <= 0 || options.signal?.aborted === true || this.closed) return jobs
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left)
          const stop = (): void => {
            clearTimeout(timer)
            options.signal?.removeEventListener('abort', stop)
            resolve()
          }
          options.signal?.addEventListener('abort', stop)
          woken.then(stop, stop)
        })
      } finally {
        set.delete(wake)
        if (set.size === 0 && this.waiters.get(queue) === set) this.waiters.delete(queue)
      }
    }
  }
}
