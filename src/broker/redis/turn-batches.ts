/**
 * The requests of one kind made during one event-loop turn, gathered per name (a topic, a queue) so that
 * one script call serves them all: Redis runs one script instead of one each, and whatever it sends on
 * pub/sub goes out once for them. They leave when the turn's I/O is done (setImmediate), which is when a
 * corked connection wrote its commands anyway: gathering them costs a request no wait.
 */

/** A request waiting for its turn's batch. */
export interface Pending<Item, Result> {
  item: Item
  resolve: (result: Result) => void
  reject: (err: Error) => void
}

/** Requests under one name in one script call at most; a longer turn's take several, in order. */
export const BATCH_MAX = 100

/**
 * The flushes of one owner's batches during a turn, run together when its I/O is done; on one Redis
 * connection inside one cork, so the turn's scripts of every kind leave in one write, which Redis runs in
 * one go (its pub/sub messages for them then reach each subscriber in one read).
 */
export class TurnWrites {
  private due: Array<() => void> = []

  /**
   * `stream` is read at each flush: ioredis gives a connection a new stream when it reconnects. It gives
   * none for a Redis Cluster client, which pipelines each node's commands of a turn itself.
   */
  constructor (private readonly stream: () => { cork: () => void, uncork: () => void } | undefined) {}

  schedule (flush: () => void): void {
    if (this.due.length === 0) setImmediate(this.run)
    this.due.push(flush)
  }

  private readonly run = (): void => {
    const due = this.due
    this.due = []
    const stream = this.stream()
    stream?.cork()
    try {
      for (const flush of due) flush()
    } finally {
      stream?.uncork()
    }
  }
}

/** Gathers the requests of a turn by name and sends each name's in one call (in BATCH_MAX pieces at most). */
export class TurnBatches<Item, Result> {
  private pending = new Map<string, Array<Pending<Item, Result>>>()
  private scheduled = false

  /** `send` runs one name's batch and answers per request, in order; `turn` runs the flush. */
  constructor (
    private readonly turn: TurnWrites,
    private readonly send: (name: string, items: Item[]) => Promise<Result[]>
  ) {}

  async add (name: string, item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      const batch = this.pending.get(name)
      if (batch === undefined) this.pending.set(name, [{ item, resolve, reject }])
      else batch.push({ item, resolve, reject })
      if (!this.scheduled) {
        this.scheduled = true
        this.turn.schedule(this.flush)
      }
    })
  }

  private readonly flush = (): void => {
    const pending = this.pending
    this.pending = new Map()
    this.scheduled = false
    for (const [name, requests] of pending) {
      for (let from = 0; from < requests.length; from += BATCH_MAX) {
        const batch = requests.slice(from, from + BATCH_MAX)
        this.send(name, batch.map((request) => request.item)).then(
          (results) => { for (const [i, request] of batch.entries()) request.resolve(results[i]) },
          (err: Error) => { for (const request of batch) request.reject(err) }
        )
      }
    }
  }
}
