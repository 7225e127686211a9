/** Writes onto the TCP handle: the start-up check, delivery on both paths, and where a socket keeps the stream's path. */
import { once } from 'node:events'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { checkHandleWrites } from '../../src/transport/handle-writes-check.js'
import { handleOf, type HandleWrites } from '../../src/transport/handle-writes.js'
import { FrameWriter } from '../../src/transport/frame-writer.js'
import { MODES, TestClient, eventually, startApp, type Teardown } from '../helper.js'

async function listening (t: Teardown, server: Server, at: string | number): Promise<void> {
  server.listen(at)
  await once(server, 'listening')
  t.teardown(() => server.close())
}

/** A connected pair: the server's socket (written to) and the client's (read). */
async function pair (t: Teardown, server: Server, to: () => Socket): Promise<{ socket: Socket, client: Socket }> {
  const accepted = once(server, 'connection') as Promise<[Socket]>
  const client = to()
  t.teardown(() => client.destroy())
  const [socket] = await accepted
  socket.on('error', () => {})
  return { socket, client }
}

async function checked (): Promise<HandleWrites> {
  const writes = await checkHandleWrites()
  if (typeof writes === 'string') throw new Error(`the check failed on this Node: ${writes}`)
  return writes
}

/** Subscribes one client, publishes `count` messages from another in bursts, and waits for them all, in order. */
async function deliversInOrder (t: Test, wsUrl: string, count: number): Promise<void> {
  const subscriber = await TestClient.connect(t, wsUrl)
  await subscriber.request({ action: 'subscribe', topic: 'writes' })
  const publisher = await TestClient.connect(t, wsUrl)
  // sent in one go: the subscriber gets several frames per socket write, then single ones as they trickle
  for (let i = 0; i < count; i++) publisher.send({ action: 'publish', topic: 'writes', message: { i } })
  await eventually(() => subscriber.deliveries.length >= count, `${count} deliveries arrived`)
  t.same(subscriber.deliveries.map((d) => d.message.i), Array.from({ length: count }, (_, i) => i), `${count} messages, in order`)
}

for (const mode of MODES) {
  t.test(`${mode.name}: the check passes on this Node, and frames go onto the handle`, async (t) => {
    const { app, wsUrl } = await mode.start(t)
    t.equal(app.connections.socketWrites, 'handle', 'the app writes on the handle')
    await deliversInOrder(t, wsUrl, 500)
  })
}

t.test('a Node whose internals behave differently is caught by the check: the app keeps the stream path and delivers all the same', async (t) => {
  // libuv's queue no longer shows in writeQueueSize, as a Node upgrade might do: shadowed on the TCP handles' prototype
  const tcp = tcpPrototype()
  Object.defineProperty(tcp, 'writeQueueSize', { get: () => 0, configurable: true })
  let started
  try {
    t.match(await checkHandleWrites(), /did not queue in libuv/, 'the check says what differs')
    started = await startApp(t)
  } finally {
    delete (tcp as { writeQueueSize?: number }).writeQueueSize
  }
  t.equal(started.app.connections.socketWrites, 'stream (a write past what the kernel holds did not queue in libuv)', 'the app writes through the stream, and says why')
  await deliversInOrder(t, started.wsUrl, 500)
})

t.test('a socket keeps the stream\'s path where a handle write is not safe, and its bytes still arrive', async (t) => {
  const writes = await checked()
  const owner = { handleQueued: 0 }

  // a Unix socket's handle is a Pipe, not a TCP wrap
  const unix = createServer()
  await listening(t, unix, join(mkdtempSync(join(tmpdir(), 'handle-writes-')), 'socket'))
  const local = await pair(t, unix, () => connect(unix.address() as string))
  t.equal(writes.write(local.socket, Buffer.from('x'), owner), -1, 'not on a Unix socket')
  const writer = new FrameWriter(writes)
  const received = once(local.client, 'data')
  writer.write(local.socket, [Buffer.from('ab'), Buffer.from('cd')], owner)
  t.equal(String((await received)[0]), 'abcd', 'the frames went through its stream')

  const tcp = createServer()
  await listening(t, tcp, 0)
  const port = (tcp.address() as { port: number }).port
  const ended = await pair(t, tcp, () => connect(port, '127.0.0.1'))
  ended.socket.end()
  t.equal(writes.write(ended.socket, Buffer.from('x'), owner), -1, 'not once the socket has ended')

  // the peer's reset, unseen by reads: this socket has stopped reading (a full read buffer nobody consumes),
  // so the kernel refuses the next write; that then takes the stream's path, which reports the error
  const reset = await pair(t, tcp, () => connect(port, '127.0.0.1'))
  reset.client.write(Buffer.alloc(256 * 1024))
  await eventually(() => reset.socket.readableLength >= reset.socket.readableHighWaterMark, 'the socket stopped reading')
  const gone = once(reset.client, 'close')
  reset.client.resetAndDestroy()
  await gone
  t.ok(reset.socket.writable, 'the socket is still open to writes')
  const result = writes.write(reset.socket, Buffer.from('x'), owner)
  t.equal(result, -1, 'a refused write is left to the stream')
  t.equal(owner.handleQueued, 0, 'nothing counted as queued')
  t.equal(handleOf(reset.socket)?.writeQueueSize ?? 0, 0)
})

/** The prototype of net's TCP handles, from a socket that connects nowhere. */
function tcpPrototype (): object {
  const socket = connect(9, '127.0.0.1')
  socket.on('error', () => {})
  const prototype = Object.getPrototypeOf(handleOf(socket)) as object
  socket.destroy()
  return prototype
}
