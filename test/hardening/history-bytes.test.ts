/**
 * History is bounded in bytes per topic, in memory, on one Redis and on a Redis Cluster, and over all topics in
 * memory: the oldest messages go first, a topic's newest always stays.
 */
import t from 'tap'
import { eventually, getJson, MODES, REDIS_CLUSTER, startApp, TestClient } from '../helper.js'
import { RedisServer } from '../redis-server.js'

const PAD = 'x'.repeat(4000)

async function historyBytes (url: string, topic: string): Promise<{ count: number, first: number, last: number }> {
  const { messages } = await getJson(`${url}/topics/${topic}/history?limit=1000`)
  return { count: messages.length, first: messages[0].offset, last: messages.at(-1).offset }
}

// the per-topic bound is kept on the topic's own keys, so a Redis Cluster keeps it too
for (const mode of [...MODES, REDIS_CLUSTER]) {
  t.test(`${mode.name}: HISTORY_TOPIC_MAX_BYTES keeps a topic's history under its bound, newest kept, and recovery past it says so`, async (t) => {
    const { url, wsUrl } = await mode.start(t, { HISTORY_TOPIC_MAX_BYTES: 64 * 1024, MAX_MESSAGE_BYTES: 128 * 1024 })
    const publisher = await TestClient.connect(t, wsUrl)
    for (let i = 1; i < 100; i++) publisher.send({ action: 'publish', topic: 'booked', message: { i, PAD } })
    const { epoch } = await publisher.request({ action: 'publish', topic: 'booked', message: { i: 100, PAD } })
    const kept = await historyBytes(url, 'booked')
    t.ok(kept.count * 4000 <= 64 * 1024 && kept.count >= 10, `${kept.count} messages of 4 KB kept under 64 KB`)
    t.equal(kept.last, 100, 'the newest stays')
    t.equal(kept.first, 100 - kept.count + 1, 'the oldest went first')
    const late = await TestClient.connect(t, wsUrl)
    t.match(await late.request({ action: 'subscribe', topic: 'booked', since: { offset: 1, epoch } }), { recovered: false }, 'a client further back is told')
    await publisher.request({ action: 'publish', topic: 'big', message: 'y'.repeat(100 * 1024) })
    t.match(await historyBytes(url, 'big'), { count: 1 }, 'a message over the bound alone is kept: a topic\'s newest always stays')
  })
}

// embedded only: Redis mode does not enforce HISTORY_MAX_BYTES, as a bound over all topics would need keys on
// every hash slot in each per-topic publish script (see README, HISTORY_MAX_BYTES)
t.test('embedded: HISTORY_MAX_BYTES bounds every topic\'s history together: the oldest messages give way first', async (t) => {
  const { url, wsUrl } = await startApp(t, { HISTORY_MAX_BYTES: 100 * 1024 })
  const publisher = await TestClient.connect(t, wsUrl)
  for (const topic of ['a', 'b', 'c']) {
    for (let i = 1; i <= 20; i++) publisher.send({ action: 'publish', topic, message: { i, PAD } })
  }
  await publisher.sync()
  const kept = await Promise.all(['a', 'b', 'c'].map(async (topic) => historyBytes(url, topic).catch(() => ({ count: 0, first: 0, last: 0 }))))
  const total = kept.reduce((sum, k) => sum + k.count, 0)
  t.ok(total * 4000 <= 100 * 1024 && total >= 20, `${total} messages of 4 KB kept in all, under 100 KB`)
  t.equal(kept[2].count, 20, 'the last topic kept all of its own')
  t.ok(kept[0].count < 20, 'the first gave way')
})

t.test('redis: a topic whose history expired counts its bytes from 0 again, so the bound is not used up by messages gone', async (t) => {
  const redis = await RedisServer.start(t)
  const { url, wsUrl } = await startApp(t, { REDIS_URL: redis.url, HISTORY_TOPIC_MAX_BYTES: 100 * 1024, HISTORY_TTL: 3 })
  const direct = redis.client(t)
  const keptBytes = async (): Promise<number> => Number(await direct.hget('proxyer:{early}:stats', 'historyBytes'))
  const publisher = await TestClient.connect(t, wsUrl)
  for (let i = 1; i <= 20; i++) publisher.send({ action: 'publish', topic: 'early', message: { i, PAD } })
  await publisher.sync()
  t.ok(await keptBytes() > 60 * 1024, 'the topic\'s bytes are counted')
  await eventually(async () => (await direct.exists('proxyer:{early}:history')) === 0, 'the history expires')
  for (let i = 21; i <= 40; i++) publisher.send({ action: 'publish', topic: 'early', message: { i, PAD } })
  await publisher.sync()
  t.match(await historyBytes(url, 'early'), { count: 20, first: 21, last: 40 }, 'the topic keeps all of its new messages: the expired bytes were not counted')
  const frames = await direct.xrange('proxyer:{early}:history', '-', '+')
  t.equal(await keptBytes(), frames.reduce((sum, [, fields]) => sum + Buffer.byteLength(fields[1]), 0), 'the count is the live history\'s bytes')
})
