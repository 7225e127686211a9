/** How many consumers each queue has on this instance: socket consumers and HTTP claims waiting. */
export class ConsumerCounts {
  private readonly counts = new Map<string, number>()

  constructor (private readonly onChange: (queue: string, count: number) => void = () => {}) {}

  add (queue: string, delta: number): void {
    const count = (this.counts.get(queue) ?? 0) + delta
    if (count === 0) this.counts.delete(queue)
    else this.counts.set(queue, count)
    this.onChange(queue, count)
  }

  get (queue: string): number {
    return this.counts.get(queue) ?? 0
  }

  entries (): Array<[string, number]> {
    return [...this.counts]
  }

  /** Runs `fn` counted as one consumer of the queue. */
  async during<T> (queue: string, fn: () => Promise<T>): Promise<T> {
    this.add(queue, 1)
    try {
      return await fn()
    } finally {
      this.add(queue, -1)
    }
  }
}
