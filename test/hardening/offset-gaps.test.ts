/**
 * What an instance does when a topic's offsets skip or come again on its channel, as in a Redis Cluster
 * failover: here one Redis is changed by hand to stand for the shard (a frame that never reached the
 * instance; a promoted replica without the latest write). Never silent: caught up, or told.
 */
import t, { type Test } from 'tap'
import { startApp, TestClient } from '../helper.js'
import { RedisServer } from '../redis-server.js'

/** An instance on a Redis of its own, a subscriber of 'booked', a publisher, and a client to change Redis by hand. */
async function subscribedOnRedis (t: Test) {
  const redis = await RedisServer.start(t)
  const { wsUrl } = await startApp(t, { REDIS_URL: redis.url })
  const admin = redis.client(t)
  const subscriber = await TestClient.connect(t, wsUrl)
  const publisher = await TestClient.connect(t, wsUrl)
  await subscriber.request({ action: 'subscribe', topic: 'booked' })
  return { admin, subscriber, publisher, wsUrl }
}

t.test('offsets that skip: the instance catches up from history, each message once and in order', async (t) => {
  const { admin, subscriber, publisher } = await subscribedOnRedis(t)
  const one = await publisher.request({ action: 'publish', topic: 'booked', message: 'm1' })
  await subscriber.waitFor((f) => f.message === 'm1')
  // m2 kept in the history but its frame never reached this instance
  const frame = JSON.stringify({ action: 'publish', topic: 'booked', message: 'm2', offset: 2, epoch: one.epoch })
  await admin.hset('proxyer:{booked}:stats', 'offset', 2)
  await admin.xadd('proxyer:{booked}:history', '2-0', 'f', frame, 't', Date.now())
  await publisher.request({ action: 'publish', topic: 'booked', message: 'm3' })
  await subscriber.waitFor((f) => f.message === 'm3')
  t.same(subscriber.published.map((f) => [f.message, f.offset]), [['m1', 1], ['m2', 2], ['m3', 3]], 'the missed one from history, then the live one')
})

t.test('offsets given again (Redis lost the latest write): a new epoch, and the subscribers are told', async (t) => {
  const { admin, subscriber, publisher, wsUrl } = await subscribedOnRedis(t)
  const one = await publisher.request({ action: 'publish', topic: 'booked', message: 'm1' })
  await publisher.request({ action: 'publish', topic: 'booked', message: 'm2' })
  await subscriber.waitFor((f) => f.message === 'm2')
  // as a promoted replica that never received m2
  const [[, kept]] = await admin.xrange('proxyer:{booked}:history', '1-0', '1-0')
  await admin.hset('proxyer:{booked}:stats', 'offset', 1)
  await admin.del('proxyer:{booked}:history')
  await admin.xadd('proxyer:{booked}:history', '1-0', ...kept)
  const reused = await publisher.request({ action: 'publish', topic: 'booked', message: 'm3' })
  t.match(reused, { offset: 2, epoch: one.epoch }, 'Redis gives offset 2 again')
  const resumed = await subscriber.waitFor((f) => f.action === 'resumed')
  t.match(resumed, { topic: 'booked', recovered: false, offset: 0 }, 'the subscriber is told its history was lost')
  t.not(resumed.epoch, one.epoch, 'in a new epoch')
  const four = await publisher.request({ action: 'publish', topic: 'booked', message: 'm4' })
  t.match(four, { offset: 1, epoch: resumed.epoch })
  await subscriber.waitFor((f) => f.message === 'm4')
  t.same(subscriber.published.map((f) => f.message), ['m1', 'm2', 'm4'])

  const late = await TestClient.connect(t, wsUrl)
  t.match(await late.request({ action: 'subscribe', topic: 'booked', since: { offset: 2, epoch: one.epoch } }), { recovered: false },
    'a client coming back at the old position is told too')
})
