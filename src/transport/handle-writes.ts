/**
 * Writes on a TCP socket's libuv handle, below the stream machinery: no write request object, callback,
 * nextTick or stream state per write when the kernel takes the bytes at once, as it does for a client that reads.
 *
 * Node internals relied on (Node 20 to 24), all checked at start-up by checkHandleWrites():
 * - `socket._handle`, a TCP wrap whose `writeBuffer(req, buffer)` writes what the kernel takes, queues the rest
 *   in libuv and returns 0 or a negative errno; `writeQueueSize`, the bytes libuv holds queued;
 * - the class of the `req` net passes it (WriteWrap): libuv keeps a queued write on it and calls its
 *   `oncomplete(status)` once done. A fresh one per write, as net makes: one reused after libuv kept it would abort the process.
 */
import { getSystemErrorName } from 'node:util'
import type { Socket } from 'node:net'

export interface StreamHandle {
  writeBuffer (req: WriteRequest, data: Buffer): number
  readonly writeQueueSize: number
}

/** Our fields beside the ones libuv's write keeps on the object. */
export interface WriteRequest {
  oncomplete (this: WriteRequest, status: number): void
  /** Kept alive while queued; the owner's count and the socket to close on failure. */
  buffer: Buffer | undefined
  owner: QueuedBytes | undefined
  socket: Socket | undefined
  bytes: number
}

export type WriteRequestClass = new () => WriteRequest

/** Bytes of this connection's handle writes still queued in libuv, which its stream does not count. */
export interface QueuedBytes {
  handleQueued: number
}

/** `socket._handle` is not in Node's types: it is the internal relied on. */
export function handleOf (socket: Socket): StreamHandle | null | undefined {
  return (socket as unknown as { _handle?: StreamHandle | null })._handle
}

/** Runs with the request as `this`, called by libuv: no closure per write. */
function afterQueuedWrite (this: WriteRequest, status: number): void {
  const owner = this.owner as QueuedBytes
  const socket = this.socket as Socket
  owner.handleQueued -= this.bytes
  this.buffer = undefined
  this.owner = undefined
  this.socket = undefined
  // as net does with a failed write: the socket closes with the error (a no-op if it is closing already), and its connection with it
  if (status < 0) socket.destroy(Object.assign(new Error(`write ${getSystemErrorName(status)}`), { errno: status, syscall: 'write' }))
}

export class HandleWrites {
  constructor (private readonly Request: WriteRequestClass, private readonly tcpPrototype: object) {}

  /**
   * Writes `data` on the socket's handle. Returns the bytes left queued in libuv (0 when the kernel took
   * them all: `data` may be reused at once), or -1 when the socket must take the stream's path: not a
   * TCP socket, bytes already queued that these must follow, or an error the stream then reports.
   */
  write (socket: Socket, data: Buffer, owner: QueuedBytes): number {
    const handle = handleOf(socket)
    if (handle == null || Object.getPrototypeOf(handle) !== this.tcpPrototype) return -1
    if (!socket.writable || socket.writableLength > 0 || handle.writeQueueSize > 0) return -1
    // set before the write: its completion must find them whatever writeQueueSize said
    const request = new this.Request()
    request.oncomplete = afterQueuedWrite
    request.buffer = data
    request.owner = owner
    request.socket = socket
    request.bytes = 0
    if (handle.writeBuffer(request, data) !== 0) return -1
    const queued = handle.writeQueueSize
    request.bytes = queued
    owner.handleQueued += queued
    return queued
  }
}
