/** Redis misbehaving: refusing writes, a bridge lease taken away, and going down while figures are asked for. */
import type { Redis } from 'ioredis'
import t from 'tap'
import { eventually, getJson, postText, startApp, TestClient } from '../helper.js'
import { RedisServer } from '../redis-server.js'

// real servers on a 2-core machine other jobs share: past 120 s measured under a load of 20
t.setTimeout(300_000)

/** How many commands Redis has refused for want of memory since it started. */
async function oomErrors (redis: Redis): Promise<number> {
  return Number(/errorstat_OOM:count=(\d+)/.exec(await redis.info('errorstats'))?.[1] ?? 0)
}

t.test('Redis refusing writes (out of memory) turns publishes into 503s, and nothing else breaks', async (t) => {
  const redis = await RedisServer.start(t)
  const a = await startApp(t, { REDIS_URL: redis.url, REDIS_BRIDGE: 'boards:zoo:visits=booked' })
  const subscriber = await TestClient.connect(t, a.wsUrl)
  await subscriber.request({ action: 'subscribe', topic: 'booked' })
  const admin = redis.client(t)
  await eventually(async () => await admin.publish('boards:zoo:visits', 'probe') > 0, 'the bridge is relayed')
  await subscriber.waitFor((f) => f.message === 'probe')

  await admin.config('SET', 'maxmemory', '1')
  await admin.config('SET', 'maxmemory-policy', 'noeviction')
  const refused = await postText(a.url, 'booked', 'x')
  t.equal(refused.status, 503)
  t.match(await refused.json(), { code: 'PROXYER_UNAVAILABLE', message: /OOM/ }, 'the error says why')
  t.match(await subscriber.request({ action: 'publish', topic: 'booked', message: 'x' }), { code: 'unavailable' })
  const recovering = await TestClient.connect(t, a.wsUrl)
  t.match(await recovering.request({ action: 'subscribe', topic: 'booked', since: { offset: 0, epoch: 'x' } }), { action: 'error', code: 'unavailable' },
    'a recovery that cannot read the history is refused, to be retried')
  // the relay's own publish must meet the full Redis too: Redis counts the OOM error it answers
  const refusals = await oomErrors(admin)
  await admin.publish('boards:zoo:visits', 'lost while full')
  await eventually(async () => await oomErrors(admin) > refusals, 'the relayed message is refused')

  await admin.config('SET', 'maxmemory', '0')
  const accepted = await postText(a.url, 'booked', 'after')
  t.equal(accepted.status, 200)
  await subscriber.waitFor((f) => f.message === 'after')
  t.same(subscriber.deliveries.map((f) => f.message), ['probe', 'after'], 'refused messages were not delivered')
})

t.test('Redis refusing the subscriber-count writes (an ACL without SADD): publishes count nobody meanwhile, and the count is written once Redis allows it', async (t) => {
  const redis = await RedisServer.start(t)
  const admin = redis.client(t)
  const refused = async (): Promise<number> => Number(/errorstat_NOPERM:count=(\d+)/.exec(await admin.info('errorstats'))?.[1] ?? 0)
  const a = await startApp(t, { REDIS_URL: redis.url, INSTANCE_TTL_MS: 600 })
  await admin.call('ACL', 'SETUSER', 'default', '-sadd')
  const subscriber = await TestClient.connect(t, a.wsUrl)
  await subscriber.request({ action: 'subscribe', topic: 'booked' })
  await eventually(async () => await refused() > 0, 'the count\'s write is refused')
  const during = await postText(a.url, 'booked', 'during')
  t.match(await during.json(), { offset: 1, subscribers: 0 }, 'the subscriber is not counted yet')
  await subscriber.waitFor((f) => f.message === 'during')
  t.pass('and still gets the message')

  await admin.call('ACL', 'SETUSER', 'default', '+sadd')
  await eventually(async () => (await (await postText(a.url, 'booked', 'after')).json() as { subscribers: number }).subscribers === 1, 'a heartbeat writes the count again')
  t.match(await getJson(`${a.url}/topics/booked`), { subscribers: 1 })
})

t.test('Redis refusing the publish figures\' reads (an ACL without HMGET): the topic listing answers 503, and serves again once allowed', async (t) => {
  const redis = await RedisServer.start(t)
  const admin = redis.client(t)
  const a = await startApp(t, { REDIS_URL: redis.url })
  await postText(a.url, 'booked', 'b1')
  t.match(await getJson(`${a.url}/topics`), { topics: [{ topic: 'booked', published: 1 }] })
  await admin.call('ACL', 'SETUSER', 'default', '-hmget')
  const refused = await fetch(`${a.url}/topics`)
  t.equal(refused.status, 503)
  t.match(await refused.json(), { message: /NOPERM/ }, 'saying what Redis answered')
  t.equal((await fetch(`${a.url}/topics/booked`)).status, 503, 'the one topic\'s figures too')
  await admin.call('ACL', 'SETUSER', 'default', '+hmget')
  t.match(await getJson(`${a.url}/topics`), { topics: [{ topic: 'booked', published: 1 }] })
})

t.test('the bridge moves when its lease is taken, so exactly one instance relays it', async (t) => {
  const redis = await RedisServer.start(t)
  const env = { REDIS_URL: redis.url, REDIS_BRIDGE: 'boards:zoo:visits=booked,legacy:*=legacy', INSTANCE_TTL_MS: 600 }
  await startApp(t, { ...env, INSTANCE_ID: 'a' })
  await startApp(t, { ...env, INSTANCE_ID: 'b' })
  const admin = redis.client(t)
  const relays = async (): Promise<number> => ((await admin.pubsub('NUMSUB', 'boards:zoo:visits')) as [string, number])[1]
  await eventually(async () => await relays() === 1, 'one instance relays')
  const holder = await admin.get('proxyer:{cluster}:bridge-lease')
  t.ok(holder === 'a' || holder === 'b', `the lease is held by ${holder}`)

  await admin.set('proxyer:{cluster}:bridge-lease', 'elsewhere', 'PX', 1500)
  // channels and patterns are left by two commands, one after the other
  await eventually(async () => await relays() === 0 && Number(await admin.pubsub('NUMPAT')) === 0, 'the instance that lost the lease stops relaying, patterns too')
  await eventually(async () => await relays() === 1, 'an instance takes the lease once it expires')
  t.not(await admin.get('proxyer:{cluster}:bridge-lease'), 'elsewhere')
})

t.test('figures answer 503 while Redis is down, and shutting down does not wait for Redis', async (t) => {
  const redis = await RedisServer.start(t)
  // short heartbeats, so some come while Redis is down; each first forgets the idle topics
  const a = await startApp(t, { REDIS_URL: redis.url, INSTANCE_TTL_MS: 300, TOPIC_TTL_SECONDS: 1 })
  const client = await TestClient.connect(t, a.wsUrl)
  await client.request({ action: 'subscribe', topic: 'booked' })
  const leaving = await TestClient.connect(t, a.wsUrl)
  await leaving.request({ action: 'subscribe', topic: 'left' })
  t.equal((await postText(a.url, 'left', 'kept a second')).status, 200, 'a published topic outlives its subscribers until TOPIC_TTL_SECONDS')
  await redis.kill()
  await eventually(async () => (await fetch(`${a.url}/ready`)).status === 503, 'not ready')
  // the topic left idle now is forgotten by a heartbeat that then finds Redis down, and must skip it quietly
  leaving.socket.close()
  await eventually(async () => !(await getJson(`${a.url}/topics?scope=local`)).topics.some((entry: { topic: string }) => entry.topic === 'left'),
    'a heartbeat has forgotten the idle topic')
  t.equal((await fetch(`${a.url}/health`)).status, 200, 'heartbeats without Redis leave the process alive')
  const topics = await fetch(`${a.url}/topics`)
  t.equal(topics.status, 503)
  t.match(await topics.json(), { code: 'PROXYER_UNAVAILABLE' })
  t.equal((await fetch(`${a.url}/cluster`)).status, 503)
  t.equal((await fetch(`${a.url}/topics/booked/history`)).status, 503)
  t.match(await client.request({ action: 'subscribe', topic: 'visits', since: { offset: 0, epoch: 'x' } }), { code: 'unavailable' }, 'no recovery without Redis')
  t.match(await getJson(`${a.url}/topics?scope=local`), { topics: [{ topic: 'booked', subscribers: 1 }] }, 'this instance\'s own figures still answer')

  const closed = client.closed()
  const started = Date.now()
  await a.app.close()
  t.ok(Date.now() - started < 5000, 'closed without waiting on the unreachable Redis')
  t.equal((await closed).code, 1001)
})
