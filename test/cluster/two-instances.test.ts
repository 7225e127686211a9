/** Two instances sharing a Redis: delivery across them, order, cluster figures, channels and the bridge. */
import t, { type Test } from 'tap'
import { eventually, getJson, pollJson, postText, type RunningApp, startApp, TestClient } from '../helper.js'
import { RedisServer } from '../redis-server.js'

const BOOKING = '1673254205340:2199:32925:en00030'

async function cluster (t: Test, redis: RedisServer, env: Record<string, string | number> = {}): Promise<[RunningApp, RunningApp]> {
  const shared = { REDIS_URL: redis.url, INSTANCE_TTL_MS: 1500, ...env }
  return [await startApp(t, { ...shared, INSTANCE_ID: 'a' }), await startApp(t, { ...shared, INSTANCE_ID: 'b' })]
}

t.test('a publish on B, over HTTP or its socket, reaches a subscriber on A exactly once', async (t) => {
  const redis = await RedisServer.start(t)
  const [a, b] = await cluster(t, redis)
  const subscriber = await TestClient.connect(t, a.wsUrl)
  await subscriber.request({ action: 'subscribe', topic: 'booked' })
  const publisher = await TestClient.connect(t, b.wsUrl)

  const http = await postText(b.url, 'booked', BOOKING)
  t.match(await http.json(), { topic: 'booked', subscribers: 1, offset: 1 }, 'B counts the subscriber on A')
  const reply = await publisher.request({ action: 'publish', topic: 'booked', message: { over: 'socket' } })
  t.equal(reply.subscribers, 1)

  // one publisher's messages arrive in order: a second copy of either would come before this last one
  await publisher.request({ action: 'publish', topic: 'booked', message: 'last' })
  await subscriber.waitFor((f) => f.message === 'last')
  t.same(subscriber.deliveries, [
    { action: 'publish', topic: 'booked', message: BOOKING },
    { action: 'publish', topic: 'booked', message: { over: 'socket' } },
    { action: 'publish', topic: 'booked', message: 'last' }
  ], 'each message once, unchanged, in order')
})

t.test('one publisher\'s messages arrive in order on every instance', async (t) => {
  const redis = await RedisServer.start(t)
  const [a, b] = await cluster(t, redis)
  const onA = await TestClient.connect(t, a.wsUrl)
  const onB = await TestClient.connect(t, b.wsUrl)
  await onA.request({ action: 'subscribe', topic: 'booked' })
  await onB.request({ action: 'subscribe', topic: 'booked' })
  const publisher = await TestClient.connect(t, b.wsUrl)
  for (let i = 0; i < 150; i++) publisher.send({ action: 'publish', topic: 'booked', message: i })
  const expected = Array.from({ length: 150 }, (_, i) => i)
  await onA.waitFor((f) => f.message === 149)
  await onB.waitFor((f) => f.message === 149)
  t.same(onA.deliveries.map((f) => f.message), expected)
  t.same(onB.deliveries.map((f) => f.message), expected)
})

t.test('cluster figures agree on both instances; ?scope=local shows one instance; /cluster lists both', async (t) => {
  const redis = await RedisServer.start(t)
  const [a, b] = await cluster(t, redis)
  const onA = await TestClient.connect(t, a.wsUrl)
  const onB1 = await TestClient.connect(t, b.wsUrl)
  const onB2 = await TestClient.connect(t, b.wsUrl)
  for (const client of [onA, onB1, onB2]) await client.request({ action: 'subscribe', topic: 'booked' })
  const reply = await onA.request({ action: 'publish', topic: 'booked', message: 'm' })
  t.equal(reply.subscribers, 3, 'the publish reached three subscribers on two instances')

  const wanted = { topic: 'booked', subscribers: 3, published: 1, delivered: 3 }
  await eventually(async () => (await getJson(`${a.url}/topics/booked`)).delivered === 3, 'A counts all deliveries')
  t.match(await getJson(`${a.url}/topics/booked`), wanted)
  t.match(await getJson(`${b.url}/topics/booked`), wanted)
  t.match((await getJson(`${b.url}/topics`)).topics, [wanted])
  t.match(await getJson(`${a.url}/topics/booked?scope=local`), { subscribers: 1, delivered: 1 })
  t.match(await getJson(`${b.url}/topics/booked?scope=local`), { subscribers: 2, delivered: 2 })

  await onA.request({ action: 'publish', topic: 'nobody-listens', message: 'm' })
  t.match(await getJson(`${b.url}/topics/nobody-listens`), { subscribers: 0, published: 1 }, 'a topic with messages and no subscribers is live')
  t.equal((await fetch(`${b.url}/topics/unknown`)).status, 404, 'a topic with neither is not found')

  const view = await getJson(`${a.url}/cluster`)
  t.equal(view.mode, 'redis')
  t.match(view.instances.sort((x: any, y: any) => x.id.localeCompare(y.id)), [
    { id: 'a', self: true, connections: 1 },
    { id: 'b', self: false, connections: 2 }
  ])

  onB2.socket.close()
  await eventually(async () => (await getJson(`${a.url}/topics/booked`)).subscribers === 2, 'a closed socket leaves the cluster figures')
  await b.app.close()
  await eventually(async () => (await pollJson(`${a.url}/cluster`))?.instances.length === 1, 'a closed instance leaves /cluster')
  t.match(await getJson(`${a.url}/topics/booked`), { subscribers: 1 }, 'and the topic figures')
})

t.test('an instance subscribes to a topic\'s channel only while it has local subscribers', async (t) => {
  const redis = await RedisServer.start(t)
  const [a] = await cluster(t, redis, { REDIS_PREFIX: 'zoo:' })
  const probe = redis.client(t)
  const client = await TestClient.connect(t, a.wsUrl)
  // the work queues keep channels of their own (zoo:q:...): only topics' channels are counted here
  const topicChannels = async (): Promise<unknown> => (await probe.pubsub('CHANNELS', '*')).filter((channel) => !String(channel).startsWith('zoo:q:'))
  t.same(await topicChannels(), [], 'no channel before any subscriber')
  await client.request({ action: 'subscribe', topic: 'booked' })
  t.same(await topicChannels(), ['zoo:{booked}'], 'the channel carries REDIS_PREFIX')
  await client.request({ action: 'unsubscribe', topic: 'booked' })
  t.same(await topicChannels(), [], 'gone with the last subscriber')
})

t.test('REDIS_BRIDGE feeds a raw PUBLISH on a Redis channel to a topic', async (t) => {
  const redis = await RedisServer.start(t)
  const [a, b] = await cluster(t, redis, { REDIS_BRIDGE: 'boards:zoo:visits=booked, legacy:*=legacy' })
  const onA = await TestClient.connect(t, a.wsUrl)
  const onB = await TestClient.connect(t, b.wsUrl)
  for (const client of [onA, onB]) {
    await client.request({ action: 'subscribe', topic: 'booked' })
    await client.request({ action: 'subscribe', topic: 'legacy' })
  }
  const service = redis.client(t)
  await eventually(async () => await service.publish('boards:zoo:visits', 'probe') > 0, 'one instance relays the bridge')
  await service.publish('boards:zoo:visits', BOOKING)
  await service.publish('legacy:gate-3', 'opened')
  // the relay passes messages on in the order Redis gave them: a second copy of any would come before this one
  await service.publish('boards:zoo:visits', 'last')

  for (const client of [onA, onB]) await client.waitFor((f) => f.message === 'last')
  for (const client of [onA, onB]) {
    t.same(client.deliveries, [
      { action: 'publish', topic: 'booked', message: 'probe' },
      { action: 'publish', topic: 'booked', message: BOOKING },
      { action: 'publish', topic: 'legacy', message: 'opened' },
      { action: 'publish', topic: 'booked', message: 'last' }
    ], 'each bridged message once, as the plain string, through a channel or a pattern')
  }
  t.match(await getJson(`${a.url}/topics/booked`), { published: 3 }, 'counted once for the cluster')
})
