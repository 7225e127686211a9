/** History is bounded in bytes, per topic and over all topics, in memory and in Redis alike: the oldest messages go first, a topic's newest always stays. */
import t from 'tap'
import { eventually, getJson, MODES, startApp, TestClient } from '../helper.js'
import { RedisServer } from '../redis-server.js'

const PAD = 'x'.repeat(4000)

async function historyBytes (url: string, topic: string): Promise<{ count: number, first: number, last: number }> {
  const { messages } = await getJson(`${url}/topics/${topic}/history?limit=1000`)
  return { count: messages.length, first: messages[0].offset, last: messages.at(-1).offset }
}

for (const mode of MODES) {
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

  t.test(`${mode.name}: HISTORY_MAX_BYTES bounds every topic's history together: the oldest messages give way first`, async (t) => {
    const { url, wsUrl } = await mode.start(t, { HISTORY_MAX_BYTES: 100 * 1024 })
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
}

t.test('redis: the bytes of a history that expired are released, so the bound is not used up by topics gone', async (t) => {
  const redis = await RedisServer.start(t)
  const { url, wsUrl } = await startApp(t, { REDIS_URL: redis.url, HISTORY_MAX_BYTES: 100 * 1024, HISTORY_TTL: 2 })
  const direct = redis.client(t)
  const publisher = await TestClient.connect(t, wsUrl)
  for (let i = 1; i <= 20; i++) publisher.send({ action: 'publish', topic: 'early', message: { i, PAD } })
  await publisher.sync()
  t.ok(Number(await direct.get('proxyer:history-total')) > 60 * 1024, 'the early topic\'s bytes are counted')
  await eventually(async () => (await direct.exists('proxyer:history:early')) === 0, 'the early history expires', 5000)
  for (let i = 1; i <= 20; i++) publisher.send({ action: 'publish', topic: 'later', message: { i, PAD } })
  await publisher.sync()
  t.equal((await historyBytes(url, 'later')).count, 20, 'a later topic keeps all of its own: the expired bytes were released, not counted')
  const total = Number(await direct.get('proxyer:history-total'))
  t.equal(total, Number(await direct.hget('proxyer:history-bytes', 'later')), 'the total counts the live history only')
  t.same(await direct.zrange('proxyer:history-ages', '0', '-1'), ['later'])
})
