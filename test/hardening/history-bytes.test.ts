/** The embedded history is bounded in bytes, per topic and over all topics: the oldest messages go first, the newest always stays. */
import t from 'tap'
import { getJson, startApp, TestClient } from '../helper.js'

const PAD = 'x'.repeat(4000)

async function historyBytes (url: string, topic: string): Promise<{ count: number, first: number, last: number }> {
  const { messages } = await getJson(`${url}/topics/${topic}/history?limit=1000`)
  return { count: messages.length, first: messages[0].offset, last: messages.at(-1).offset }
}

t.test('HISTORY_TOPIC_MAX_BYTES keeps a topic\'s history under its bound, newest kept, and recovery past it says so', async (t) => {
  const { url, wsUrl } = await startApp(t, { HISTORY_TOPIC_MAX_BYTES: 64 * 1024 })
  const publisher = await TestClient.connect(t, wsUrl)
  for (let i = 1; i < 100; i++) publisher.send({ action: 'publish', topic: 'booked', message: { i, PAD } })
  const { epoch } = await publisher.request({ action: 'publish', topic: 'booked', message: { i: 100, PAD } })
  const kept = await historyBytes(url, 'booked')
  t.ok(kept.count * 4000 <= 64 * 1024 && kept.count >= 10, `${kept.count} messages of 4 KB kept under 64 KB`)
  t.equal(kept.last, 100, 'the newest stays')
  const late = await TestClient.connect(t, wsUrl)
  t.match(await late.request({ action: 'subscribe', topic: 'booked', since: { offset: 1, epoch } }), { recovered: false }, 'a client further back is told')
})

t.test('HISTORY_MAX_BYTES bounds every topic\'s history together: the topics created first give way first', async (t) => {
  const { url, wsUrl } = await startApp(t, { HISTORY_MAX_BYTES: 100 * 1024 })
  const publisher = await TestClient.connect(t, wsUrl)
  for (const topic of ['a', 'b', 'c']) {
    for (let i = 1; i <= 20; i++) publisher.send({ action: 'publish', topic, message: { i, PAD } })
  }
  await publisher.sync()
  const kept = await Promise.all(['a', 'b', 'c'].map(async (topic) => historyBytes(url, topic).catch(() => ({ count: 0, first: 0, last: 0 }))))
  const total = kept.reduce((sum, k) => sum + k.count, 0)
  t.ok(total * 4000 <= 100 * 1024, `${total} messages of 4 KB kept in all, under 100 KB`)
  t.equal(kept[2].count, 20, 'the last topic kept all of its own')
  t.ok(kept[0].count < 20, 'the first gave way')
})
