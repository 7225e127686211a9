/**
 * Bursts: many publishes read in one turn. In Redis mode an instance sends a turn's publishes to a topic in
 * one script call and Redis carries them to every instance in one channel message (turn-batches.ts);
 * whatever the mode, each message reaches every subscriber once, in order, with its own offset, and keeps
 * its idempotency key and the history bound.
 */
import t from 'tap'
import { Redis } from 'ioredis'
import { startApp, TestClient, type Env, type RunningApp, type Teardown } from '../helper.js'
import { RedisServer } from '../redis-server.js'
import { RedisCluster } from '../redis-cluster.js'

interface Setup {
  name: string
  patterns: boolean
  /** The instance publishers use and the one subscribers use: the same one when embedded. */
  start: (t: Teardown, env?: Env) => Promise<[RunningApp, RunningApp]>
}

const SETUPS: Setup[] = [
  {
    name: 'embedded',
    patterns: true,
    start: async (t, env = {}) => {
      const app = await startApp(t, env)
      return [app, app]
    }
  },
  {
    name: 'redis',
    patterns: true,
    start: async (t, env = {}) => {
      const { url } = await RedisServer.start(t)
      return [await startApp(t, { ...env, REDIS_URL: url }), await startApp(t, { ...env, REDIS_URL: url })]
    }
  },
  {
    name: 'redis-cluster',
    // sharded pub/sub has no patterns (refused there)
    patterns: false,
    start: async (t, env = {}) => {
      const { seeds } = await RedisCluster.start(t, { replicas: 0 })
      return [await startApp(t, { ...env, REDIS_CLUSTER_NODES: seeds }), await startApp(t, { ...env, REDIS_CLUSTER_NODES: seeds })]
    }
  }
]

/** Sends the frames in one TCP write, so that the server reads them in one turn. */
function burst (client: TestClient, frames: object[]): void {
  client.tcp.cork()
  for (const frame of frames) client.send(frame)
  client.tcp.uncork()
}

for (const setup of SETUPS) {
  t.test(`${setup.name}: a burst to two topics reaches every subscriber once and in order, each message with its own offset`, async (t) => {
    const [publishing, subscribing] = await setup.start(t)
    const subscriber = await TestClient.connect(t, subscribing.wsUrl)
    for (const topic of ['booked', 'visits']) await subscriber.request({ action: 'subscribe', topic })
    const patterned = setup.patterns ? await TestClient.connect(t, subscribing.wsUrl) : undefined
    await patterned?.request({ action: 'subscribe', topic: '*' })
    const publisher = await TestClient.connect(t, publishing.wsUrl)
    // a newline inside a message is escaped in its frame, so it cannot be taken for the end of one
    const frames = Array.from({ length: 120 }, (_, i) => ({ action: 'publish', topic: i % 2 === 0 ? 'booked' : 'visits', message: `seat ${i}\nrow ${i}`, id: i }))
    burst(publisher, frames)
    const replies = await Promise.all(frames.map(async ({ id }) => publisher.waitFor((f) => f.id === id)))
    t.same(replies.map((r) => [r.action, r.offset]), frames.map((_, i) => ['published', Math.floor(i / 2) + 1]), 'each publish answered with the next offset of its topic')

    for (const client of patterned === undefined ? [subscriber] : [subscriber, patterned]) {
      for (const topic of ['booked', 'visits']) {
        const mine = frames.filter((f) => f.topic === topic)
        // on a Redis Cluster each topic comes from its own shard: one may arrive before the other
        await client.waitFor((f) => f.message === mine.at(-1)?.message)
        t.same(client.published.filter((f) => f.topic === topic).map((f) => [f.message, f.offset]),
          mine.map((f, i) => [f.message, i + 1]), `${topic}: every message once, in order, on its offset`)
      }
    }
  })

  t.test(`${setup.name}: a key repeated within one burst publishes once, and both publishes get its answer`, async (t) => {
    const [publishing, subscribing] = await setup.start(t)
    const subscriber = await TestClient.connect(t, subscribing.wsUrl)
    await subscriber.request({ action: 'subscribe', topic: 'booked' })
    const publisher = await TestClient.connect(t, publishing.wsUrl)
    burst(publisher, [
      { action: 'publish', topic: 'booked', message: 'first', id: 1 },
      { action: 'publish', topic: 'booked', message: 'ticket 7', key: 'order-7', id: 2 },
      { action: 'publish', topic: 'booked', message: 'ticket 7 again', key: 'order-7', id: 3 },
      { action: 'publish', topic: 'booked', message: 'last', id: 4 }
    ])
    const replies = await Promise.all([1, 2, 3, 4].map(async (id) => publisher.waitFor((f) => f.id === id)))
    t.same(replies.map((r) => r.offset), [1, 2, 2, 3], 'the repeat gets the first offset; the next message the one after')
    await subscriber.waitFor((f) => f.message === 'last')
    await subscriber.sync()
    t.same(subscriber.published.map((f) => f.message), ['first', 'ticket 7', 'last'], 'the repeat reached no one')
  })

  t.test(`${setup.name}: a burst longer than HISTORY_SIZE leaves the newest in history, and a recovery from it gets the rest`, async (t) => {
    const [publishing, subscribing] = await setup.start(t, { HISTORY_SIZE: 10 })
    const publisher = await TestClient.connect(t, publishing.wsUrl)
    const frames = Array.from({ length: 50 }, (_, i) => ({ action: 'publish', topic: 'booked', message: i + 1, id: i + 1 }))
    burst(publisher, frames)
    const { epoch } = await publisher.waitFor((f) => f.id === 50)
    const history = await (await fetch(`${subscribing.url}/topics/booked/history?limit=100`)).json() as { offset: number, messages: Array<{ offset: number, message: number }> }
    t.equal(history.offset, 50)
    t.same(history.messages.map((m) => [m.offset, m.message]), Array.from({ length: 10 }, (_, i) => [41 + i, 41 + i]), 'the last 10 are kept')
    const late = await TestClient.connect(t, subscribing.wsUrl)
    t.match(await late.request({ action: 'subscribe', topic: 'booked', since: { offset: 45, epoch } }), { recovered: true })
    await late.waitFor((f) => f.message === 50)
    t.same(late.published.map((f) => f.offset), [46, 47, 48, 49, 50], 'what came after 45, once each')
  })
}

t.test('redis: a burst to one topic crosses Redis in far fewer channel messages than publishes', async (t) => {
  const redis = await RedisServer.start(t)
  const app = await startApp(t, { REDIS_URL: redis.url })
  const watcher = new Redis(redis.url)
  t.teardown(() => watcher.disconnect())
  const carried: string[] = []
  watcher.on('message', (_channel: string, message: string) => carried.push(message))
  await watcher.subscribe('proxyer:{booked}')
  const publisher = await TestClient.connect(t, app.wsUrl)
  burst(publisher, Array.from({ length: 100 }, (_, i) => ({ action: 'publish', topic: 'booked', message: i, id: i })))
  await publisher.waitFor((f) => f.id === 99)
  await watcher.ping()
  const frames = carried.flatMap((message) => message.split('\n')).map((frame) => JSON.parse(frame) as { message: number })
  t.same(frames.map((f) => f.message), Array.from({ length: 100 }, (_, i) => i), 'every frame, in order')
  t.ok(carried.length <= 10, `${carried.length} channel messages carried the 100 publishes`)
})
