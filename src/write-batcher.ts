/** Coalesces every frame written to a connection during one event-loop turn into one write. */
import type { Socket } from 'node:net'

/** Queues its frames during a turn and writes them out when flushed. */
export interface Batched {
  flush (): void
}

export class WriteBatcher {
  private held: Batched[] = []
  private scheduled = false

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

const SCRATCH_BYTES = 64 * 1024
/**
 * Where writeFrames() gathers a connection's frames, reused from one connection to the next: a
 * fresh copy for each connection and turn is external memory, which V8 answers with full collections.
 */
let scratch = Buffer.allocUnsafe(SCRATCH_BYTES)

/**
 * Writes the frames as one buffer, skipping the bookkeeping a stream keeps for each write (corked,
 * it holds a chunk entry and a callback per frame, and hands the kernel one iovec per frame).
 */
export function writeFrames (socket: Socket, frames: Buffer[]): void {
  if (frames.length === 1) {
    socket.write(frames[0])
    return
  }
  let size = 0
  for (const frame of frames) size += frame.length
  // a socket with bytes still queued would queue these too, keeping the buffer: it gets its own
  if (size > scratch.length || socket.writableLength > 0) {
    socket.write(Buffer.concat(frames, size))
    return
  }
  let at = 0
  for (const frame of frames) at += frame.copy(scratch, at)
  socket.write(scratch.subarray(0, size))
  // the kernel took only part of it: the rest stays queued in this buffer, so take a new one
  if (socket.writableLength > 0) scratch = Buffer.allocUnsafe(SCRATCH_BYTES)
}
