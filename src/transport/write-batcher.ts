/** Coalesces every frame written to a connection during one event-loop turn into one write, and times live publications to it. */
import type { Publication } from '../broker/publication.js'
import type { TrafficFigures } from '../metrics/traffic-figures.js'
import { FrameWriter } from './frame-writer.js'
import type { HandleWrites } from './handle-writes.js'

/** Queues its frames during a turn and writes them out when flushed. */
export interface Batched {
  flush (): void
}

export class WriteBatcher {
  /** Shared by the connections the batcher flushes, one after another. */
  readonly writer: FrameWriter
  private held: Batched[] = []
  /** Live publications first handed to a connection this turn: timed once, when the turn's writes are done. */
  private timed: Publication[] = []
  private scheduled = false

  /** `handleWrites` when the start-up check found the internals they need. */
  constructor (private readonly figures: TrafficFigures, handleWrites?: HandleWrites) {
    this.writer = new FrameWriter(handleWrites)
  }

  /** Flushes `target` at the end of this turn; hold it once a turn, with its first frame. */
  hold (target: Batched): void {
    this.held.push(target)
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(this.flush)
    }
  }

  /** Observes the publication's publish-to-write time once this turn's frames are written (call on its first delivery). */
  time (publication: Publication): void {
    this.timed.push(publication)
  }

  private readonly flush = (): void => {
    const targets = this.held
    this.held = []
    this.scheduled = false
    for (const target of targets) target.flush()
    if (this.timed.length === 0) return
    // one clock read for all: every subscriber of these publications has been written to by now
    const now = performance.now()
    for (const publication of this.timed) this.figures.observePublishToWrite((now - (publication.acceptedAt as number)) / 1000)
    this.timed = []
  }
}
