/** Duplicate POSTs with one Idempotency-Key, racing at two instances that share a Redis: one publishes, both answer alike. */
import t from 'tap'
import { getJson, startApp, TestClient } from '../helper.js'
import { RedisServer } from '../redis-server.js'

t.test('retries racing at two instances publish each booking once', async (t) => {
  const redis = await RedisServer.start(t)
  const a = await startApp(t, { REDIS_URL: redis.url, INSTANCE_TTL_MS: 2000 })
  const b = await startApp(t, { REDIS_URL: redis.url, INSTANCE_TTL_MS: 2000 })
  const subscriber = await TestClient.connect(t, b.wsUrl)
  await subscriber.request({ action: 'subscribe', topic: 'booked' })

  const post = async (url: string, key: string): Promise<any> => {
    const response = await fetch(`${url}/publish/booked`, { method: 'POST', body: `booking ${key}`, headers: { 'content-type': 'text/plain', 'idempotency-key': key } })
    t.equal(response.status, 200)
    return response.json()
  }
  const BOOKINGS = 50
  // both copies of each booking in flight at once, one at each instance
  const answers = await Promise.all(Array.from({ length: BOOKINGS }, async (_, i) => Promise.all([post(a.url, `k${i}`), post(b.url, `k${i}`)])))
  t.ok(answers.every(([fromA, fromB]) => JSON.stringify(fromA) === JSON.stringify(fromB)), 'both copies get the same answer (offset and epoch)')
  t.same(answers.map(([first]) => first.offset).sort((x, y) => x - y), Array.from({ length: BOOKINGS }, (_, i) => i + 1), 'one offset per booking')
  t.match(await getJson(`${a.url}/topics/booked`), { published: BOOKINGS })
  const history = await getJson(`${b.url}/topics/booked/history?limit=1000`)
  t.equal(history.messages.length, BOOKINGS, 'the history holds each booking once')
  await subscriber.waitFor(() => subscriber.published.length >= BOOKINGS)
  await subscriber.sync()
  t.equal(subscriber.published.length, BOOKINGS, 'the subscriber got each booking once')
})
