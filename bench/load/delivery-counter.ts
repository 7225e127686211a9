/** The deliveries received by all the clients of a run, and a cheap signal each time some arrive. */
export class DeliveryCounter {
  delivered = 0
  /** Called once per received chunk that held a delivery: publishers refill their window from it. */
  onProgress: (() => void) | undefined
  private waiters: (() => void)[] = []

  progress (): void {
    this.onProgress?.()
    if (this.waiters.length === 0) return
    const waiters = this.waiters
    this.waiters = []
    for (const resolve of waiters) resolve()
  }

  /** Resolves at the next delivery, or after `timeoutMs` so that no waiter hangs. */
  next (timeoutMs = 100): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs)
      this.waiters.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }
}
