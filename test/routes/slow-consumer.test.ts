import t from 'tap'
import type { Socket } from 'node:net'
import { startApp, TestClient, getJson } from '../helper.js'

t.test('a subscriber that stops reading is cut off with 4008 and the others keep receiving', async (t) => {
  const { url, wsUrl } = await startApp(t, { MAX_QUEUED_BYTES: 64 * 1024, MAX_MESSAGE_BYTES: 128 * 1024 })
  const reader = await TestClient.connect(t, wsUrl)
  const stalled = await TestClient.connect(t, wsUrl)
  await reader.request({ action: 'subscribe', topic: 'booked' })
  await stalled.request({ action: 'subscribe', topic: 'booked' })
  const closed = stalled.closed()
  // stop reading: the server's writes pile up, first in the kernel, then in its own queue
  ;(stalled.socket as unknown as { _socket: Socket })._socket.pause()

  const big = 'x'.repeat(100 * 1024)
  const count = 200
  for (let i = 0; i < count; i++) {
    await fetch(`${url}/publish/booked`, { method: 'POST', body: JSON.stringify({ message: { i, big } }), headers: { 'content-type': 'application/json' } })
  }
  await reader.waitFor((f) => f.message?.i === count - 1)
  t.same(reader.deliveries.map((f) => f.message.i), Array.from({ length: count }, (_, i) => i), 'the reading subscriber got every message in order')

  ;(stalled.socket as unknown as { _socket: Socket })._socket.resume()
  t.same(await closed, { code: 4008, reason: 'slow consumer' })
  t.ok(stalled.deliveries.length < count, `the stalled subscriber got ${stalled.deliveries.length} of ${count} before the cut`)
  const stats = await getJson(`${url}/topics/booked`)
  t.equal(stats.subscribers, 1, 'its subscription is gone')
})
