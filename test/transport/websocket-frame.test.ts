/** The server's text frames, read back by ws's own frame parser at each length encoding's edges. */
import type { Writable } from 'node:stream'
import t from 'tap'
import * as ws from 'ws'
import { Publication } from '../../src/broker/publication.js'
import { encodeTextFrame, websocketFrameOf } from '../../src/transport/websocket-frame.js'

/** ws's frame parser, which every ws client reads with: exported by the module, left out of its types. */
const { Receiver } = ws as unknown as { Receiver: new (options: { isServer: boolean }) => Writable }

/** What a client's parser makes of `bytes`: the text messages, in order. */
async function parse (bytes: Buffer): Promise<string[]> {
  const receiver = new Receiver({ isServer: false })
  const messages: string[] = []
  receiver.on('message', (data: Buffer, isBinary: boolean) => messages.push(`${isBinary ? 'binary ' : ''}${data.toString()}`))
  await new Promise<void>((resolve, reject) => {
    receiver.once('error', reject)
    receiver.write(bytes, () => resolve())
  })
  return messages
}

// 125, 126 and 65,535, 65,536: where the 7-bit, 16-bit and 64-bit lengths meet
const LENGTHS = [0, 1, 125, 126, 127, 65_535, 65_536, 100_000]

t.test('a reply frame carries its text whole, whatever its length', async (t) => {
  for (const length of LENGTHS) {
    const text = 'r'.repeat(length)
    t.same(await parse(encodeTextFrame(text)), [text], `${length} bytes`)
  }
})

t.test('multi-byte characters are counted in bytes, not characters', async (t) => {
  // 42 three-byte characters: 126 bytes, past the 7-bit length though only 42 characters
  const text = '…'.repeat(42)
  t.same(await parse(encodeTextFrame(text)), [text])
  t.same(await parse(encodeTextFrame('{"error":"Invalid topic \\"ä€😀…\\""}')), ['{"error":"Invalid topic \\"ä€😀…\\""}'])
})

t.test("a publication's frame is built once, shared, and leaves the payload untouched", async (t) => {
  for (const length of LENGTHS) {
    const text = 'p'.repeat(length)
    const publication = Publication.fromText(text)
    const frame = websocketFrameOf(publication)
    t.equal(websocketFrameOf(publication), frame, `${length} bytes: the same buffer for the next subscriber`)
    t.same(await parse(frame), [text], `${length} bytes`)
    t.equal(publication.payload.toString(), text, 'the payload is still the message')
  }
})

t.test('frames written back to back parse as separate messages in order', async (t) => {
  const frames = [encodeTextFrame('a'), websocketFrameOf(Publication.fromText('b'.repeat(300))), encodeTextFrame('c')]
  t.same(await parse(Buffer.concat(frames)), ['a', 'b'.repeat(300), 'c'])
})
