/** Recovery with since: offsets, epochs, history limits and GET /topics/:topic/history, embedded and through Redis. */
import t, { type Test } from 'tap'
import { type Env, eventually, getJson, MODES, publish, TestClient } from '../helper.js'

/** Each case runs on the embedded broker and on Redis, which must behave alike. */
function modes (t: Test, name: string, env: Env, body: (t: Test, start: () => Promise<{ url: string, wsUrl: string }>) => Promise<void>): void {
  for (const mode of MODES) t.test(`${mode.name}: ${name}`, async (t) => body(t, async () => mode.start(t, env)))
}

modes(t, 'a subscriber recovers exactly the messages it missed while disconnected', {}, async (t, start) => {
  const { url, wsUrl } = await start()
  const first = await TestClient.connect(t, wsUrl)
  const reply = await first.request({ action: 'subscribe', topic: 'booked' })
  t.match(reply, { offset: 0, epoch: String }, 'a new topic starts at offset 0')
  for (let i = 1; i <= 3; i++) await publish(url, 'booked', `m${i}`)
  await first.waitFor((f) => f.message === 'm3')
  t.same(first.published.map((f) => f.offset), [1, 2, 3], 'offsets grow by one per message')
  const last = first.published[2]
  first.socket.close()

  for (let i = 4; i <= 6; i++) await publish(url, 'booked', `m${i}`)
  const again = await TestClient.connect(t, wsUrl)
  // no id: the reply still comes, since the client needs to know whether it recovered
  again.send({ action: 'subscribe', topic: 'booked', since: { offset: last.offset, epoch: last.epoch } })
  const subscribed = await again.waitFor((f) => f.action === 'subscribed')
  t.match(subscribed, { topic: 'booked', recovered: true, offset: 6, epoch: last.epoch })
  await publish(url, 'booked', 'm7')
  await again.waitFor((f) => f.message === 'm7')
  t.same(again.published.map((f) => [f.offset, f.message]), [[4, 'm4'], [5, 'm5'], [6, 'm6'], [7, 'm7']], 'the missed ones in order, then live, no gap, no duplicate')
  t.ok(again.frames.indexOf(subscribed) > again.frames.findIndex((f) => f.message === 'm6'), 'the reply follows the replay')
})

modes(t, 'no gap and no duplicate when messages are published while the replay runs', { RATE_LIMIT_PER_SECOND: 10_000 }, async (t, start) => {
  const { wsUrl } = await start()
  const publisher = await TestClient.connect(t, wsUrl)
  for (let i = 1; i <= 200; i++) publisher.send({ action: 'publish', topic: 'booked', message: i })
  const firstBatch = await publisher.request({ action: 'publish', topic: 'booked', message: 201 })
  const subscriber = await TestClient.connect(t, wsUrl)
  // publishes keep flowing from another socket while the subscriber recovers from offset 50
  for (let i = 202; i <= 400; i++) publisher.send({ action: 'publish', topic: 'booked', message: i })
  subscriber.send({ action: 'subscribe', topic: 'booked', since: { offset: 50, epoch: firstBatch.epoch }, id: 's' })
  for (let i = 401; i <= 600; i++) publisher.send({ action: 'publish', topic: 'booked', message: i })
  await subscriber.waitFor((f) => f.message === 600)
  t.match(await subscriber.waitFor((f) => f.id === 's'), { recovered: true })
  t.same(subscriber.published.map((f) => f.offset), Array.from({ length: 550 }, (_, i) => i + 51), 'offsets 51 to 600, each once, in order')
})

modes(t, 'a stale epoch or an offset the history no longer holds gets recovered: false', { HISTORY_SIZE: 5 }, async (t, start) => {
  const { url, wsUrl } = await start()
  let last
  for (let i = 1; i <= 10; i++) last = await publish(url, 'booked', i)
  const client = await TestClient.connect(t, wsUrl)
  t.match(await client.request({ action: 'subscribe', topic: 'booked', since: { offset: 2, epoch: last.epoch } }),
    { recovered: false, offset: 10, epoch: last.epoch }, 'offsets 3 and 4 fell out of a 5-message history')
  t.same(client.published, [], 'nothing is replayed when recovery fails')
  await client.request({ action: 'unsubscribe', topic: 'booked' })
  t.match(await client.request({ action: 'subscribe', topic: 'booked', since: { offset: 5, epoch: 'another-epoch' } }),
    { recovered: false, epoch: last.epoch }, 'a stale epoch')
  await client.request({ action: 'unsubscribe', topic: 'booked' })
  t.match(await client.request({ action: 'subscribe', topic: 'booked', since: { offset: 11, epoch: last.epoch } }),
    { recovered: false }, 'an offset from the future')
  await client.request({ action: 'unsubscribe', topic: 'booked' })
  t.match(await client.request({ action: 'subscribe', topic: 'booked', since: { offset: 5, epoch: last.epoch } }),
    { recovered: true }, 'the oldest offset still recoverable')
  t.same(client.published.map((f) => f.message), [6, 7, 8, 9, 10])
})

modes(t, 'history expires after HISTORY_TTL seconds', { HISTORY_TTL: 1 }, async (t, start) => {
  const { url, wsUrl } = await start()
  const first = await publish(url, 'booked', 'old')
  t.equal((await getJson(`${url}/topics/booked/history`)).messages.length, 1, 'kept at first')
  // a second on the clock (Redis expires by its own): wait for the history to empty, then ask to recover
  await eventually(async () => (await getJson(`${url}/topics/booked/history`)).messages.length === 0, 'the message expired')
  const client = await TestClient.connect(t, wsUrl)
  t.match(await client.request({ action: 'subscribe', topic: 'booked', since: { offset: 0, epoch: first.epoch } }), { recovered: false },
    'an expired message is not recovered')
})

modes(t, 'GET /topics/:topic/history reads the kept messages', { HISTORY_SIZE: 5 }, async (t, start) => {
  const { url } = await start()
  let last
  for (let i = 1; i <= 7; i++) last = await publish(url, 'booked', { seat: i })
  const all = await getJson(`${url}/topics/booked/history`)
  t.match(all, { topic: 'booked', epoch: last.epoch, offset: 7 })
  t.same(all.messages.map((m: any) => [m.offset, m.message]), [[3, { seat: 3 }], [4, { seat: 4 }], [5, { seat: 5 }], [6, { seat: 6 }], [7, { seat: 7 }]])
  t.ok(all.messages.every((m: any) => !Number.isNaN(Date.parse(m.publishedAt))), 'each with its time')
  const page = await getJson(`${url}/topics/booked/history?since=4&limit=2`)
  t.same(page.messages.map((m: any) => m.offset), [5, 6], 'after since, at most limit')
  const unknown = await fetch(`${url}/topics/nobody/history`)
  t.equal(unknown.status, 404)
  t.equal((await fetch(`${url}/topics/booked/history?limit=0`)).status, 400, 'limit must be at least 1')
})

modes(t, 'HISTORY_TTL=0 turns history off too', { HISTORY_TTL: 0 }, async (t, start) => {
  const { url, wsUrl } = await start()
  const first = await publish(url, 'booked', 1)
  await publish(url, 'booked', 2)
  const client = await TestClient.connect(t, wsUrl)
  t.match(await client.request({ action: 'subscribe', topic: 'booked', since: { offset: 1, epoch: first.epoch } }), { recovered: false, offset: 2 })
  t.same((await getJson(`${url}/topics/booked/history`)).messages, [], 'nothing is kept')
})

modes(t, 'a client that asks again with since on the same connection recovers afresh', {}, async (t, start) => {
  const { url, wsUrl } = await start()
  const client = await TestClient.connect(t, wsUrl)
  const subscribed = await client.request({ action: 'subscribe', topic: 'booked' })
  for (let i = 1; i <= 3; i++) await publish(url, 'booked', i)
  await client.waitFor((f) => f.message === 3)
  t.match(await client.request({ action: 'subscribe', topic: 'booked', since: { offset: 1, epoch: subscribed.epoch } }), { recovered: true, offset: 3 })
  t.same(client.published.map((f) => f.offset), [1, 2, 3, 2, 3], 'offsets 2 and 3 again, for a client that thinks it lost them')
  t.match(await getJson(`${url}/topics/booked`), { subscribers: 1 }, 'still one subscription')
})

modes(t, 'HISTORY_SIZE=0 keeps positions but no history', { HISTORY_SIZE: 0 }, async (t, start) => {
  const { url, wsUrl } = await start()
  const first = await publish(url, 'booked', 1)
  await publish(url, 'booked', 2)
  const client = await TestClient.connect(t, wsUrl)
  t.match(await client.request({ action: 'subscribe', topic: 'booked', since: { offset: 1, epoch: first.epoch } }), { recovered: false, offset: 2 })
  await client.request({ action: 'unsubscribe', topic: 'booked' })
  t.match(await client.request({ action: 'subscribe', topic: 'booked', since: { offset: 2, epoch: first.epoch } }), { recovered: true }, 'nothing missed is a recovery')
})
