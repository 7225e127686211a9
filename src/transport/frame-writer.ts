/** Writes a connection's frames of one turn as one buffer, gathered in scratch memory reused from one connection to the next. */
import type { Socket } from 'node:net'
import type { HandleWrites, QueuedBytes } from './handle-writes.js'

const SCRATCH_BYTES = 64 * 1024

export class FrameWriter {
  /**
   * Where write() gathers a connection's frames: a fresh copy for each connection and turn is
   * external memory, which V8 answers with full collections.
   */
  private scratch = Buffer.allocUnsafe(SCRATCH_BYTES)

  /** With `handleWrites`, bytes go onto the socket's handle where that is safe; else, or when it is not, through the stream. */
  constructor (readonly handleWrites?: HandleWrites) {}

  /**
   * Writes the frames as one buffer, skipping the bookkeeping a stream keeps for each write (corked,
   * it holds a chunk entry and a callback per frame, and hands the kernel one iovec per frame).
   * `owner` counts what handle writes leave queued, which the socket's stream does not see.
   */
  readonly write = (socket: Socket, frames: Buffer[], owner: QueuedBytes): void => {
    if (frames.length === 1) {
      this.send(socket, frames[0], owner)
      return
    }
    let size = 0
    for (const frame of frames) size += frame.length
    // a socket with bytes still queued would queue these too, keeping the buffer: it gets its own
    if (size > this.scratch.length || socket.writableLength > 0 || owner.handleQueued > 0) {
      this.send(socket, Buffer.concat(frames, size), owner)
      return
    }
    let at = 0
    for (const frame of frames) at += frame.copy(this.scratch, at)
    this.send(socket, this.scratch.subarray(0, size), owner)
    // the kernel took only part of it: the rest stays queued in this buffer, so take a new one
    if (socket.writableLength > 0 || owner.handleQueued > 0) this.scratch = Buffer.allocUnsafe(SCRATCH_BYTES)
  }

  private send (socket: Socket, data: Buffer, owner: QueuedBytes): void {
    if (this.handleWrites === undefined || this.handleWrites.write(socket, data, owner) < 0) socket.write(data)
  }
}
