/** Claims waiting for a job on a queue, woken when one may be there (locally, or from Redis pub/sub). */
import type { ClaimedJob, ClaimOptions } from './work-queue.js'

/** A waiting claim: `wake` makes it try again; `woken` says a wake-up was handed to it. */
interface Waiter {
  wake: () => void
  woken: boolean
}

export class Wakeups {
  /** Per queue, the waiting claims in the order they began to wait. */
  private readonly waiters = new Map<string, Set<Waiter>>()
  private closed = false

  /**
   * `jobs` jobs came into line: as many of the longest-waiting claims try again. No more: every claim
   * that tries after a job is in line takes it or finds it taken, so waking the others would only make
   * them ask for nothing (in Redis mode, a script each).
   */
  wake (queue: string, jobs = 1): void {
    const set = this.waiters.get(queue)
    if (set === undefined) return
    for (const waiter of set) {
      if (jobs-- === 0) break
      set.delete(waiter)
      waiter.woken = true
      waiter.wake()
    }
    if (set.size === 0) this.waiters.delete(queue)
  }

  /** Ends every wait (the server is shutting down): waiting claims answer with what they have. */
  close (): void {
    this.closed = true
    this.wakeAll()
  }

  /**
   * Every waiting claim tries again: the wake-ups sent while the pub/sub link to Redis was down were
   * lost, and a job queued then would otherwise wait for the next poll (30 s for a socket consumer).
   */
  wakeAll (): void {
    for (const [queue, set] of this.waiters) {
      this.waiters.delete(queue)
      for (const waiter of set) {
        waiter.woken = true
        waiter.wake()
      }
    }
  }

  /**
   * Runs `attempt` until it finds jobs, waiting for a wake-up between tries, until `waitMs`
   * has passed or the signal aborts. The waiter is registered before each try, so a job that
   * arrives while the try runs still wakes it.
   */
  async claim (queue: string, options: ClaimOptions, attempt: () => Promise<ClaimedJob[]>): Promise<ClaimedJob[]> {
    const deadline = Date.now() + options.waitMs
    const hungUp = (): boolean => options.signal?.aborted === true
    for (;;) {
      let wake!: () => void
      const woken = new Promise<void>((resolve) => { wake = resolve })
      const waiter: Waiter = { wake, woken: false }
      const set = this.waiters.get(queue) ?? new Set()
      this.waiters.set(queue, set)
      set.add(waiter)
      /** Set once the wait is over: this claim tries again itself. */
      let again = false
      try {
        const jobs = await attempt()
        const left = deadline - Date.now()
        if (jobs.length > 0 || left <= 0 || hungUp() || this.closed) return jobs
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
        // hung up while waiting: nothing is claimed for nobody, not even a job that came at that moment
        if (hungUp()) return []
        again = true
      } finally {
        if (set.delete(waiter) && set.size === 0 && this.waiters.get(queue) === set) this.waiters.delete(queue)
        // woken during a try that may have run before that job was in line, and leaving (answered, or the
        // try failed): the next claim in line looks for the job, so it does not wait for a timeout
        if (waiter.woken && !again && !this.closed) this.wake(queue)
      }
    }
  }
}
