/** Holds a subscriber's live frames while its history is replayed, then passes on the ones it lacks. */
import type { Subscriber } from './broker.js'
import type { PublishFrame } from '../publish-frame.js'

export class FrameBuffer implements Subscriber {
  private readonly frames: PublishFrame[] = []

  deliver (frame: PublishFrame): boolean {
    this.frames.push(frame)
    return true
  }

  /** Hands over the held frames with an offset past `offset`, in order. */
  flushAfter (offset: number, subscriber: Subscriber): void {
    for (const frame of this.frames) {
      if (frame.offset > offset) subscriber.deliver(frame)
    }
  }
}
