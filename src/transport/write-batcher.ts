/** Coalesces every frame written to a connection during one event-loop turn into one write. */
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
  private scheduled = false

  /** `handleWrites` when the start-up check found the internals they need. */
  constructor (handleWrites?: HandleWrites) {
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

  private readonly flush = (): void => {
    const targets = this.held
    this.held = []
    this.scheduled = false
    for (const target of targets) target.flush()
  }
}
