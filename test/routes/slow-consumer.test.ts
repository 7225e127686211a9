/** A subscriber that stops reading is cut with 4008 and counted, alone and in a cluster; a reading one never is. */
import t, { type Test } from 'tap'
import { eventually, getJson, publish, startApp, TestClient, type RunningApp } from '../helper.js'
import { RedisServer } from '../redis-server.js'

const LIMITS = { MAX_QUEUED_BYTES: 64 * 1024, MAX_MESSAGE_BYTES: 128 * 1024 }

/** The stalled subscriber is on `stalledOn`; the reader and the publishes are on `servedBy`. */
async function cutOff (t: Test, stalledOn: RunningApp, servedBy: RunningApp): Promise<void> {
  const reader = await TestClient.connect(t, servedBy.wsUrl)
  const stalled = await TestClient.connect(t, stalledOn.wsUrl)
  await reader.request({ action: 'subscribe', topic: 'booked' })
  await stalled.request({ action: 'subscribe', topic: 'booked' })
  const closed = stalled.closed()
  // stop reading: the server's writes pile up, first in the kernel, then in its own queue
  stalled.stopReading()

  const big = 'x'.repeat(100 * 1024)
  const count = 200
  for (let i = 0; i < count; i++) {
    await publish(servedBy.url, 'booked', { i, big })
  }
  await reader.waitFor((f) => f.message?.i === count - 1)
  t.same(reader.deliveries.map((f) => f.message.i), Array.from({ length: count }, (_, i) => i), 'the reading subscriber got every message in order')

  stalled.resumeReading()
  t.same(await closed, { code: 4008, reason: 'slow consumer' })
  t.ok(stalled.deliveries.length < count, `the stalled subscriber got ${stalled.deliveries.length} of ${count} before the cut`)
  await eventually(async () => (await getJson(`${servedBy.url}/topics/booked`)).subscribers === 1, 'its subscription is gone')
  t.match(await getJson(`${servedBy.url}/topics/booked`), { subscribers: 1, published: count, slowConsumers: 1 }, 'the cut is counted in the figures')
}

t.test('a subscriber that stops reading is cut off with 4008, counted, and the others keep receiving', async (t) => {
  const app = await startApp(t, LIMITS)
  await cutOff(t, app, app)
})

t.test('in a cluster, the cut on one instance shows in the figures of the other', async (t) => {
  const redis = await RedisServer.start(t)
  const shared = { ...LIMITS, REDIS_URL: redis.url, INSTANCE_TTL_MS: 1500 }
  const a = await startApp(t, { ...shared, INSTANCE_ID: 'a' })
  const b = await startApp(t, { ...shared, INSTANCE_ID: 'b' })
  await cutOff(t, a, b)
  t.match(await getJson(`${a.url}/topics/booked?scope=local`), { subscribers: 0, slowConsumers: 1 }, 'A made the cut')
})

t.test('a burst of frames in one event-loop turn does not count against a client that reads', async (t) => {
  const app = await startApp(t, { MAX_QUEUED_BYTES: 1024 })
  const reader = await TestClient.connect(t, app.wsUrl)
  await reader.request({ action: 'subscribe', topic: 'booked' })
  const publisher = await TestClient.connect(t, app.wsUrl)
  // twenty publishes in one TCP write reach the server in one read, so their deliveries share a turn
  // (100 KB in all: more than the server gathers in its reusable write buffer)
  const raw = publisher.tcp
  raw.cork()
  for (let i = 0; i < 20; i++) publisher.send({ action: 'publish', topic: 'booked', message: { i, pad: 'x'.repeat(5000) } })
  raw.uncork()
  await reader.waitFor((f) => f.message?.i === 19)
  t.equal(reader.deliveries.length, 20, 'every message arrived')
  t.match(await getJson(`${app.url}/topics/booked`), { subscribers: 1, slowConsumers: 0 }, 'nobody was cut')
})
