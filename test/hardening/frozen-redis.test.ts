/** A Redis that stops answering (SIGSTOP): /ready turns 503 within seconds, a publish whose outcome is unknown says so (504), and nothing answered 503 is ever delivered. */
import t from 'tap'
import { eventually, startApp, TestClient } from '../helper.js'
import { RedisServer } from '../redis-server.js'

const post = async (url: string, message: string): Promise<Response> =>
  fetch(`${url}/publish/booked`, { method: 'POST', body: message, headers: { 'content-type': 'text/plain' } })

t.test('frozen Redis: ready goes 503, an unanswered publish is 504 outcome_unknown, refused ones are never delivered', async (t) => {
  const redis = await RedisServer.start(t)
  t.teardown(() => redis.signal('SIGCONT'))
  const { url, wsUrl } = await startApp(t, { REDIS_URL: redis.url, INSTANCE_TTL_MS: 900, REDIS_COMMAND_TIMEOUT_MS: 1000 })
  const subscriber = await TestClient.connect(t, wsUrl)
  await subscriber.request({ action: 'subscribe', topic: 'booked' })
  t.equal((await post(url, 'before')).status, 200)

  redis.signal('SIGSTOP')
  const unknown = await post(url, 'sent, never answered')
  t.equal(unknown.status, 504, 'a publish sent to Redis that never answered is not called a failure')
  t.match(await unknown.json(), { statusCode: 504, code: 'PROXYER_OUTCOME_UNKNOWN', message: /may or may not/ })

  await eventually(async () => (await fetch(`${url}/ready`)).status === 503, '/ready answers 503 while Redis does not answer', 5000)
  const refused = await post(url, 'refused')
  t.equal(refused.status, 503, 'once Redis is known not to answer, a publish is refused at once: nothing was done')
  t.equal(refused.headers.get('retry-after'), '1')
  const socketPublisher = await TestClient.connect(t, wsUrl)
  t.match(await socketPublisher.request({ action: 'publish', topic: 'booked', message: 'refused' }), { action: 'error', code: 'unavailable' })

  redis.signal('SIGCONT')
  await eventually(async () => (await fetch(`${url}/ready`)).status === 200, '/ready answers 200 again')
  await eventually(async () => (await post(url, 'after')).status === 200, 'publishing works again')
  await subscriber.waitFor((f) => f.message === 'after')
  const messages = subscriber.deliveries.map((f) => f.message)
  t.notOk(messages.includes('refused'), 'nothing answered 503 was delivered')
  t.equal(messages[0], 'before')
})

t.test('the socket tells an unanswered publish apart too: outcome_unknown', async (t) => {
  const redis = await RedisServer.start(t)
  t.teardown(() => redis.signal('SIGCONT'))
  const { wsUrl } = await startApp(t, { REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: 1000 })
  const publisher = await TestClient.connect(t, wsUrl)
  await publisher.request({ action: 'publish', topic: 'booked', message: 'warm' })
  redis.signal('SIGSTOP')
  t.match(await publisher.request({ action: 'publish', topic: 'booked', message: 'lost in flight' }),
    { action: 'error', code: 'outcome_unknown', error: /may or may not/ })
})
