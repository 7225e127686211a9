/** Redis killed and restarted under two instances: 503s while it is down, delivery resumed once it is back. */
import { once } from 'node:events'
import t from 'tap'
import { eventually, getJson, postText, startApp, TestClient, waitForStatus } from '../helper.js'
import { RedisServer } from '../redis-server.js'

// real servers on a 2-core machine other jobs share: past 120 s measured under a load of 20
t.setTimeout(300_000)

t.test('Redis killed and restarted: instances stay up, refuse publishes with 503, then resume by themselves', async (t) => {
  const redis = await RedisServer.start(t)
  const env = { REDIS_URL: redis.url, INSTANCE_TTL_MS: 1500 }
  const a = await startApp(t, { ...env, INSTANCE_ID: 'a' })
  const b = await startApp(t, { ...env, INSTANCE_ID: 'b' })
  const subscriber = await TestClient.connect(t, a.wsUrl)
  await subscriber.request({ action: 'subscribe', topic: 'booked' })
  const publisher = await TestClient.connect(t, b.wsUrl)
  await publisher.request({ action: 'publish', topic: 'booked', message: 'before' })
  await subscriber.waitFor((f) => f.message === 'before')

  await redis.kill()
  const [reconnectError] = await once(a.app.redis, 'error')
  t.match(reconnectError, { code: 'ECONNREFUSED' }, 'the instance keeps trying to reconnect')
  await waitForStatus(`${a.url}/ready`, 503)
  t.same(await getJson(`${a.url}/ready`), { status: 'unavailable' }, '/ready says it cannot serve')
  t.equal((await fetch(`${a.url}/health`)).status, 200, 'the process itself is alive')

  const refused = await postText(b.url, 'booked', 'during')
  t.equal(refused.status, 503, 'an HTTP publish is refused so the booking service retries')
  t.equal(refused.headers.get('retry-after'), '1')
  t.match(await refused.json(), { statusCode: 503, code: 'PROXYER_UNAVAILABLE', error: 'Service Unavailable', message: /Redis/ })
  t.match(await publisher.request({ action: 'publish', topic: 'booked', message: 'during' }), { action: 'error', code: 'unavailable', error: /try again/ })
  t.match(await subscriber.request({ action: 'subscribe', topic: 'visits' }), { action: 'subscribed' }, 'a subscribe is kept locally until Redis is back')
  t.equal(subscriber.socket.readyState, subscriber.socket.OPEN, 'WebSocket clients keep their connection')

  await redis.restart()
  await waitForStatus(`${a.url}/ready`, 200)
  await waitForStatus(`${b.url}/ready`, 200)
  // resubscription runs on reconnect: A is listening again once Redis counts it on both channels
  const probe = redis.client(t)
  await eventually(async () => ((await probe.pubsub('NUMSUB', 'proxyer:{booked}', 'proxyer:{visits}')) as Array<string | number>).join() ===
    'proxyer:{booked},1,proxyer:{visits},1', 'A subscribes to its topics\' channels again')
  await publisher.request({ action: 'publish', topic: 'booked', message: 'after' })
  await publisher.request({ action: 'publish', topic: 'visits', message: 'visit' })
  await subscriber.waitFor((f) => f.message === 'visit')
  t.notOk(subscriber.deliveries.some((f) => f.message === 'during'), 'nothing refused was delivered')
  t.same(subscriber.deliveries.map((f) => f.topic).filter((topic, i, all) => all.indexOf(topic) === i), ['booked', 'visits'],
    'delivery resumed on the topic held before and on the one subscribed during the outage')
  await waitForStatus(`${a.url}/topics/booked`, 200)
  t.match(await getJson(`${a.url}/cluster`), { instances: [{}, {}] }, 'both instances report themselves again')
})
