/**
 * The start-up self-check of the Node internals HandleWrites relies on: on a loopback connection of its
 * own it finds the class of net's write requests, writes a buffer the kernel takes at once (and checks
 * it arrives), then writes until one must queue and checks that libuv reports its end when the reader's
 * reset closes the socket. Anything
 * missing or different (a Node upgrade) leaves the plain stream path in place, with the reason.
 */
import { once } from 'node:events'
import { Socket, createServer, type AddressInfo } from 'node:net'
import { HandleWrites, handleOf, type StreamHandle, type WriteRequestClass } from './handle-writes.js'

/** Written while the reader is paused until one write must queue: past loopback's kernel buffers. */
const CHUNK_BYTES = 256 * 1024
const MAX_CHUNKS = 256
const CHECK_TIMEOUT_MS = 5000

function expect (ok: boolean, what: string): asserts ok {
  if (!ok) throw new Error(what)
}

/** HandleWrites when the internals behave as relied on; otherwise why not. */
export async function checkHandleWrites (): Promise<HandleWrites | string> {
  const server = createServer()
  const signal = AbortSignal.timeout(CHECK_TIMEOUT_MS)
  const client = new Socket()
  try {
    // exclusive: in a node:cluster worker a shared listen(0) gives every worker the same port, and the
    // primary handed one worker's check connection to another's server, which stalled the start
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true })
    await once(server, 'listening', { signal })
    const accepted = once(server, 'connection', { signal }) as Promise<[Socket]>
    client.connect((server.address() as AddressInfo).port, '127.0.0.1')
    const [socket] = await accepted
    // the reset's error (on a read or the queued write), which closes the socket
    socket.on('error', () => {})
    const received: Buffer[] = []
    let length = 0
    client.on('data', (chunk: Buffer) => { received.push(chunk); length += chunk.length })
    client.pause()

    const handle = handleOf(socket) as StreamHandle
    expect(typeof handle.writeBuffer === 'function' && typeof handle.writeQueueSize === 'number', 'socket._handle has no writeBuffer() or writeQueueSize')
    const Request = captureRequestClass(socket, handle)
    expect(typeof Request === 'function', 'net.Socket no longer writes a buffer through its handle\'s writeBuffer(req, data)')

    const writes = new HandleWrites(Request, Object.getPrototypeOf(handle) as object)
    const owner = { handleQueued: 0 }
    const small = Buffer.from('handle-writes')
    expect(writes.write(socket, small, owner) === 0, 'a small write was not taken at once')
    client.resume()
    const expected = Buffer.concat([Buffer.from('?'), small])
    while (length < expected.length) await once(client, 'data', { signal })
    expect(Buffer.concat(received).equals(expected), 'the bytes did not arrive whole and in order')

    // a write past what the kernel holds queues in libuv; the reader's reset fails it, which must be reported
    client.pause()
    let queued = 0
    for (let chunks = 0; queued === 0 && chunks < MAX_CHUNKS; chunks++) queued = writes.write(socket, Buffer.alloc(CHUNK_BYTES), owner)
    expect(queued > 0 && owner.handleQueued === queued, 'a write past what the kernel holds did not queue in libuv')
    const closed = new Promise((resolve) => socket.once('close', resolve))
    client.resetAndDestroy()
    await Promise.race([closed, once(client, 'never', { signal })])
    expect(owner.handleQueued === 0, 'the queued write did not report its end')
    return writes
  } catch (err) {
    return (err as Error).message
  } finally {
    client.destroy()
    server.close()
  }
}

/** Sees the request object net passes to the handle for one byte written through the stream. */
function captureRequestClass (socket: Socket, handle: StreamHandle): WriteRequestClass {
  let Request: unknown
  const own = handle as { writeBuffer: StreamHandle['writeBuffer'] }
  const original = own.writeBuffer
  own.writeBuffer = function (this: StreamHandle, req, data) {
    Request = req.constructor
    return original.call(this, req, data)
  }
  try {
    socket.write(Buffer.from('?'))
  } finally {
    delete (own as Partial<typeof own>).writeBuffer
  }
  return Request as WriteRequestClass
}
