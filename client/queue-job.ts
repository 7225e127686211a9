/** A job queued through the SDK: its place in line as it changes, and a promise of its outcome. */

/** The job failed: its attempts ran out (`job_failed`), or it is unknown to the server (`unknown_job`, e.g. expired). */
export class JobError extends Error {
  constructor (readonly code: 'job_failed' | 'unknown_job', message: string, readonly attempts: number) {
    super(message)
    this.name = 'JobError'
  }
}

export class QueueJob {
  /** 1-based place in line; 0 while a worker holds it. */
  position: number
  /** The worker's result once it acks; rejects with a JobError when the job fails, a ProxyerError `closed` on close(). */
  readonly result: Promise<unknown>
  private readonly listeners = new Set<(position: number) => void>()
  private settle!: { resolve: (value: unknown) => void, reject: (err: Error) => void }

  constructor (readonly queue: string, readonly job: string, position: number) {
    this.position = position
    this.result = new Promise((resolve, reject) => { this.settle = { resolve, reject } })
    // a caller that never reads the result does not get an unhandled rejection
    this.result.catch(() => {})
  }

  /** Calls `fn` with each new place in line; returns the function that stops it. */
  onPosition (fn: (position: number) => void): () => void {
    this.listeners.add(fn)
    return () => { this.listeners.delete(fn) }
  }

  /** @internal the server's position frame */
  moved (position: number): void {
    if (position === this.position) return
    this.position = position
    for (const fn of [...this.listeners]) fn(position)
  }

  /** @internal the server's done frame */
  done (result: unknown): void {
    this.settle.resolve(result)
  }

  /** @internal the server's failed frame, its unknown_job error, or the client closed */
  failed (err: Error): void {
    this.settle.reject(err)
  }
}
