/** Holds a subscriber's live frames while its history is replayed, then passes on the ones it lacks. */
import type { Subscriber } from './broker.js'

export class FrameBuffer implements Subscriber {
  private readonly frames: Buffer[] = []

  deliver (frame: Buffer): void {
    this.frames.push(frame)
  }

  /** Hands over the held frames with an offset past `offset`, in order. */
  flushAfter (offset: number, subscriber: Subscriber): void {
    for (const frame of this.frames) {
      if ((JSON.parse(frame.toString()) as { offset: number }).offset > offset) subscriber.deliver(frame)
    }
  }
}
