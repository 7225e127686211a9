/** Writes a connection's frames of one turn as one buffer, gathered in scratch memory reused from one connection to the next. */
import type { Socket } from 'node:net'

const SCRATCH_BYTES = 64 * 1024

export class FrameWriter {
  /**
   * Where write() gathers a connection's frames: a fresh copy for each connection and turn is
   * external memory, which V8 answers with full collections.
   */
  private scratch = Buffer.allocUnsafe(SCRATCH_BYTES)

  /**
   * Writes the frames as one buffer, skipping the bookkeeping a stream keeps for each write (corked,
   * it holds a chunk entry and a callback per frame, and hands the kernel one iovec per frame).
   */
  readonly write = (socket: Socket, frames: Buffer[]): void => {
    if (frames.length === 1) {
      socket.write(frames[0])
      return
    }
    let size = 0
    for (const frame of frames) size += frame.length
    // a socket with bytes still queued would queue these too, keeping the buffer: it gets its own
    if (size > this.scratch.length || socket.writableLength > 0) {
      socket.write(Buffer.concat(frames, size))
      return
    }
    let at = 0
    for (const frame of frames) at += frame.copy(this.scratch, at)
    socket.write(this.scratch.subarray(0, size))
    // the kernel took only part of it: the rest stays queued in this buffer, so take a new one
    if (socket.writableLength > 0) this.scratch = Buffer.allocUnsafe(SCRATCH_BYTES)
  }
}
