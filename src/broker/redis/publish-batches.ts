/**
 * The publishes to each topic during one event-loop turn, gathered so that one script call publishes them
 * (publish.lua): Redis runs one script and sends every instance one channel message for them, instead of
 * one each. They leave when the turn's I/O is done (setImmediate), which is when a corked connection
 * wrote its commands before: gathering them costs a publish no wait.
 */

/** A publish waiting for its turn's batch: its frame head and idempotency key. */
export interface PendingPublish<Result> {
  head: string
  key: string | undefined
  resolve: (result: Result) => void
  reject: (err: Error) => void
}

/** Publishes to one topic in one script call at most; a longer turn's publishes take several, in order. */
export const PUBLISH_BATCH_MAX = 100

export class PublishBatches<Result> {
  private pending = new Map<string, Array<PendingPublish<Result>>>()
  private scheduled = false

  /**
   * `send` publishes one topic's batch and answers per publish, in order; `sendAll` wraps the sends of
   * one turn (to put them in one write).
   */
  constructor (
    private readonly send: (topic: string, batch: Array<PendingPublish<Result>>) => Promise<Result[]>,
    private readonly sendAll: (sends: () => void) => void
  ) {}

  async add (topic: string, head: string, key: string | undefined): Promise<Result> {
    return new Promise((resolve, reject) => {
      const batch = this.pending.get(topic)
      if (batch === undefined) this.pending.set(topic, [{ head, key, resolve, reject }])
      else batch.push({ head, key, resolve, reject })
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(this.flush)
      }
    })
  }

  private readonly flush = (): void => {
    const pending = this.pending
    this.pending = new Map()
    this.scheduled = false
    this.sendAll(() => {
      for (const [topic, publishes] of pending) {
        for (let from = 0; from < publishes.length; from += PUBLISH_BATCH_MAX) {
          const batch = publishes.slice(from, from + PUBLISH_BATCH_MAX)
          this.send(topic, batch).then(
            (results) => { for (const [i, publish] of batch.entries()) publish.resolve(results[i]) },
            (err: Error) => { for (const publish of batch) publish.reject(err) }
          )
        }
      }
    })
  }
}
