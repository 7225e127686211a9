/** Bounded fuzzing: 20,000 random frames from four connections while a subscriber receives a steady stream; the server stays up, the subscriber loses nothing, memory comes back near its baseline. */
import t from 'tap'
import WebSocket from 'ws'
import { getJson, startApp, TestClient } from '../helper.js'

const FRAMES_PER_CONNECTION = 5000
const MAX_MESSAGE_BYTES = 16 * 1024

/** A deterministic generator, so a failure can be replayed. */
function random (seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648
    return state / 2147483648
  }
}

const NAMES = ['booked', '__proto__', 'constructor', 'prototype', '..', '.a', 'a.', 'é漢字', 'a\u0000b', '\u202e', 'x'.repeat(200), '', 'ok.topic']
const ACTIONS = ['subscribe', 'unsubscribe', 'publish', 'ping', 'nope', '__proto__', 42, null]
const VALUES = [null, 1, -1, 1.5, 'x', true, [], {}, { since: 1 }, { offset: 'a', epoch: 3 }, '\u0000', 2 ** 60]

function frameOf (next: () => number): { data: string | Buffer, binary?: boolean, fragmented?: boolean } {
  const pick = <T>(list: T[]): T => list[Math.floor(next() * list.length)]
  switch (Math.floor(next() * 8)) {
    case 0: return { data: Buffer.from(Array.from({ length: Math.floor(next() * 64) }, () => Math.floor(next() * 256))).toString('latin1') }
    case 1: return { data: Buffer.from([1, 2, 3, 255]), binary: true }
    case 2: return { data: '['.repeat(100 + Math.floor(next() * 1000)) + ']'.repeat(10) }
    case 3: return { data: JSON.stringify({ action: pick(ACTIONS), topic: pick([...NAMES, ...VALUES]), since: pick(VALUES), message: pick(VALUES), id: pick(VALUES) }) }
    case 4: return { data: JSON.stringify({ action: 'subscribe', topic: pick(NAMES) }) }
    case 5: return { data: JSON.stringify(pick(VALUES)) }
    case 6: return { data: 'x'.repeat(MAX_MESSAGE_BYTES + 1) }
    default: return { data: JSON.stringify({ action: 'publish', topic: 'fuzz', message: pick(VALUES) }), fragmented: true }
  }
}

/** Sends frames on one connection, opening another whenever the server closes it (an oversize frame is closed with 1009). */
async function fuzz (wsUrl: string, seed: number): Promise<void> {
  const next = random(seed)
  let socket: WebSocket | undefined
  for (let sent = 0; sent < FRAMES_PER_CONNECTION; sent++) {
    if (socket === undefined || socket.readyState !== WebSocket.OPEN) {
      socket?.terminate()
      socket = new WebSocket(wsUrl)
      socket.on('error', () => {})
      await new Promise((resolve) => { socket?.once('open', resolve); socket?.once('close', resolve) })
      continue
    }
    const frame = frameOf(next)
    if (frame.fragmented === true) {
      const text = frame.data as string
      socket.send(text.slice(0, 10), { fin: false })
      socket.send(text.slice(10), { fin: true })
    } else {
      socket.send(frame.data, { binary: frame.binary === true })
    }
    // let the server read now and then, as a real flood arrives
    if (sent % 200 === 0) await new Promise((resolve) => setImmediate(resolve))
  }
  socket?.terminate()
}

t.test('20,000 random frames from four connections: the server stays up and a subscriber loses nothing', async (t) => {
  const { url, wsUrl } = await startApp(t, { MAX_MESSAGE_BYTES })
  const subscriber = await TestClient.connect(t, wsUrl)
  await subscriber.request({ action: 'subscribe', topic: 'steady' })
  const publisher = await TestClient.connect(t, wsUrl)
  const baseline = process.memoryUsage().rss

  const flood = { done: false }
  let published = 0
  const stream = (async () => {
    while (!flood.done) await publisher.request({ action: 'publish', topic: 'steady', message: ++published })
  })()
  await Promise.all([1, 2, 3, 4].map(async (seed) => fuzz(wsUrl, seed)))
  flood.done = true
  await stream

  await subscriber.waitFor((f) => f.message === published, 10_000)
  t.same(subscriber.published.map((f) => f.message), Array.from({ length: published }, (_, i) => i + 1), `all ${published} messages of the stream, once, in order`)
  t.match(await getJson(`${url}/health`), { status: 'ok', connectionFaults: 0 }, 'up, and no connection failed inside the server')
  const grown = process.memoryUsage().rss - baseline
  t.ok(grown < 150 * 1024 * 1024, `memory ${Math.round(grown / 1024 / 1024)} MB above the baseline after the flood`)
})
