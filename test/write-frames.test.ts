/** FrameWriter and its shared buffer, through the stream and onto the handle: bytes arrive intact and in order even when a socket backs up. */
import { once } from 'node:events'
import { createServer, connect, type Socket } from 'node:net'
import t from 'tap'
import { FrameWriter } from '../src/transport/frame-writer.js'
import { checkHandleWrites } from '../src/transport/handle-writes-check.js'
import type { HandleWrites, QueuedBytes } from '../src/transport/handle-writes.js'

const handleWrites = await checkHandleWrites()
if (typeof handleWrites === 'string') throw new Error(`the handle writes' check failed: ${handleWrites}`)

// each path, through the stream and onto the handle
for (const [path, writes] of [['stream', undefined], ['handle', handleWrites]] as Array<[string, HandleWrites | undefined]>) {
  // one writer for both tests, as one app shares it between its connections
  const writer = new FrameWriter(writes)
  // each socket's count of bytes left queued on its handle, as its connection keeps it
  const owners = new Map<Socket, QueuedBytes>()
  const writeFrames = (socket: Socket, frames: Buffer[]): void => {
    const owner = owners.get(socket) ?? { handleQueued: 0 }
    owners.set(socket, owner)
    writer.write(socket, frames, owner)
  }

  t.test(`${path}: frames gathered in the shared buffer arrive intact, also when the kernel queue is full`, async (t) => {
    const server = createServer()
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    t.teardown(() => server.close())
    const accepted = once(server, 'connection') as Promise<[Socket]>
    const client = connect((server.address() as { port: number }).port, '127.0.0.1')
    t.teardown(() => client.destroy())
    const [socket] = await accepted
    // the reader stops: writes fill the kernel buffers, then queue in Node with the shared buffer's bytes
    client.pause()

    const sent: Buffer[] = []
    for (let turn = 0; socket.writableLength < 4 * 1024 * 1024; turn++) {
      const frames = Array.from({ length: 8 }, (_, i) => Buffer.alloc(1000, (turn * 8 + i) % 251))
      writeFrames(socket, frames)
      sent.push(...frames)
    }
    const expected = Buffer.concat(sent)
    const received: Buffer[] = []
    let length = 0
    client.on('data', (chunk: Buffer) => { received.push(chunk); length += chunk.length })
    client.resume()
    while (length < expected.length) await once(client, 'data')
    t.ok(Buffer.concat(received).equals(expected), `${expected.length} bytes in order, none overwritten by a later turn`)
  })

  t.test(`${path}: a backed-up socket keeps its bytes while later turns gather other sockets' frames in the shared buffer`, async (t) => {
    const server = createServer()
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    t.teardown(() => server.close())
    const pair = async (): Promise<{ socket: Socket, client: Socket, received: Buffer[] }> => {
      const accepted = once(server, 'connection') as Promise<[Socket]>
      const client = connect((server.address() as { port: number }).port, '127.0.0.1')
      t.teardown(() => client.destroy())
      const [socket] = await accepted
      const received: Buffer[] = []
      client.on('data', (chunk: Buffer) => received.push(chunk))
      return { socket, client, received }
    }
    const stalled = await pair()
    const reading = await pair()
    stalled.client.pause()

    // a turn each, so that the reading client reads and its socket keeps writing through the shared buffer
    const sent = new Map<Socket, Buffer[]>([[stalled.socket, []], [reading.socket, []]])
    let turn = 0
    const writeTurn = async (): Promise<void> => {
      for (const socket of sent.keys()) {
        const frames = Array.from({ length: 8 }, (_, i) => Buffer.alloc(1000, (turn * 8 + i) % 251))
        writeFrames(socket, frames)
        sent.get(socket)?.push(...frames)
        turn++
      }
      await new Promise(setImmediate)
    }
    while (stalled.socket.writableLength === 0) await writeTurn()
    for (let i = 0; i < 10; i++) await writeTurn()
    t.equal(reading.socket.writableLength, 0, 'the reading socket wrote through the shared buffer all along')

    for (const { socket, client } of [stalled, reading]) {
      socket.end()
      client.resume()
      await once(client, 'end')
    }
    for (const [{ socket, received }, who] of [[stalled, 'stalled'], [reading, 'reading']] as const) {
      t.ok(Buffer.concat(received).equals(Buffer.concat(sent.get(socket) ?? [])), `the ${who} client got its bytes in order, none overwritten`)
    }
  })
}
