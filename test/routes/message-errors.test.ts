/** Bad WebSocket requests: each gets its error frame or close code, and nothing else changes. */
import t from 'tap'
import { startApp, TestClient, getJson } from '../helper.js'
import { ManualClock } from '../manual-clock.js'

/** Each bad request, the error it gets, and proof that the connection still works afterwards. */
const cases: Array<{ name: string, frame: string, code: string, error: RegExp, id?: unknown }> = [
  { name: 'bad JSON', frame: '{"action":"subscribe",', code: 'bad_json', error: /not valid JSON/ },
  { name: 'a JSON value that is not an object', frame: '[1,2]', code: 'invalid_request', error: /JSON object/ },
  { name: 'no action', frame: '{"topic":"booked","id":"a1"}', code: 'invalid_request', error: /"action"/, id: 'a1' },
  { name: 'an unknown action', frame: '{"action":"shout","id":2}', code: 'unknown_action', error: /Unknown action "shout"/, id: 2 },
  { name: 'a missing topic', frame: '{"action":"subscribe","id":3}', code: 'invalid_request', error: /topic/, id: 3 },
  { name: 'a topic that is not a string', frame: '{"action":"subscribe","topic":5}', code: 'invalid_request', error: /topic/ },
  { name: 'a publish without message', frame: '{"action":"publish","topic":"booked"}', code: 'invalid_request', error: /message/ },
  { name: 'a topic with a space', frame: '{"action":"subscribe","topic":"zoo tickets"}', code: 'invalid_topic', error: /Invalid topic "zoo tickets"/ },
  { name: 'an empty topic', frame: '{"action":"publish","topic":"","message":1}', code: 'invalid_topic', error: /1 to 128/ },
  { name: 'a topic of 129 characters', frame: JSON.stringify({ action: 'subscribe', topic: 'a'.repeat(129) }), code: 'invalid_topic', error: /…/ }
]

t.test('every bad request gets its error frame and the connection keeps working', async (t) => {
  const { url, wsUrl } = await startApp(t)
  const client = await TestClient.connect(t, wsUrl)
  for (const { name, frame, code, error, id } of cases) {
    const before = client.frames.length
    client.send(frame)
    const reply = await client.waitFor((f) => client.frames.indexOf(f) >= before)
    t.equal(reply.action, 'error', `${name}: an error frame`)
    t.equal(reply.code, code, `${name}: code ${code}`)
    t.match(reply.error, error, `${name}: says what is wrong`)
    t.equal(reply.id, id, `${name}: carries the request's id where it had one`)
  }
  t.match(await client.request({ action: 'ping' }), { action: 'pong' }, 'the connection is still open and served')
  t.same((await getJson(`${url}/topics`)).topics, [], 'no bad request created a topic')
})

t.test('a binary frame is refused with unsupported_data and the connection stays open', async (t) => {
  const { wsUrl } = await startApp(t)
  const client = await TestClient.connect(t, wsUrl)
  client.socket.send(Buffer.from(JSON.stringify({ action: 'subscribe', topic: 'booked' })), { binary: true })
  const reply = await client.waitFor((f) => f.action === 'error')
  t.equal(reply.code, 'unsupported_data')
  t.match(await client.request({ action: 'publish', topic: 'booked', message: 1 }), { subscribers: 0 }, 'the binary subscribe was not run')
})

t.test('a frame over MAX_MESSAGE_BYTES closes the connection with 1009 and leaves others untouched', async (t) => {
  const { wsUrl } = await startApp(t, { MAX_MESSAGE_BYTES: 1024 })
  const bystander = await TestClient.connect(t, wsUrl)
  await bystander.request({ action: 'subscribe', topic: 'booked' })
  const client = await TestClient.connect(t, wsUrl)
  await client.request({ action: 'subscribe', topic: 'booked' })
  const closed = client.closed()
  client.send({ action: 'publish', topic: 'booked', message: 'x'.repeat(2000) })
  t.equal((await closed).code, 1009, 'message too big')
  const reply = await bystander.request({ action: 'publish', topic: 'booked', message: 'fits' })
  t.equal(reply.subscribers, 1, 'the closed client left no subscription behind')
  // its own delivery comes before the reply, and the oversize one would have come before both
  t.same(bystander.deliveries.map((f) => f.message), ['fits'], 'the oversize message was not delivered')
})

t.test('a flood past RATE_LIMIT_PER_SECOND: the burst is served, the rest answered rate_limited, and the connection stays', async (t) => {
  const clock = new ManualClock()
  const { wsUrl } = await startApp(t, { RATE_LIMIT_PER_SECOND: 20, RATE_LIMIT_BURST: 20 }, { clock })
  const client = await TestClient.connect(t, wsUrl)
  for (let i = 0; i < 30; i++) client.send({ action: 'ping', id: i })
  await client.waitFor((f) => f.id === 29)
  const pongs = client.frames.filter((f) => f.action === 'pong').map((f) => f.id)
  t.same(pongs, Array.from({ length: 20 }, (_, i) => i), 'the first 20 requests were served')
  const refused = client.frames.filter((f) => f.action === 'error')
  t.same(refused.map((f) => f.id), Array.from({ length: 10 }, (_, i) => 20 + i), 'the 10 over the burst were answered with their ids')
  t.match(refused[0], { code: 'rate_limited', error: /at most 20 a second/ })

  clock.advance(500)
  for (let i = 30; i < 45; i++) client.send({ action: 'ping', id: i })
  await client.waitFor((f) => f.id === 44)
  t.equal(client.frames.filter((f) => f.action === 'pong').length, 30, 'half a second later, 10 more are served')
  t.equal(client.frames.length, 45, 'every request was answered, and the connection is still open')
})

t.test('a connection holds at most MAX_SUBSCRIPTIONS topics', async (t) => {
  const { wsUrl } = await startApp(t, { MAX_SUBSCRIPTIONS: 2 })
  const client = await TestClient.connect(t, wsUrl)
  await client.request({ action: 'subscribe', topic: 'a' })
  await client.request({ action: 'subscribe', topic: 'b' })
  t.match(await client.request({ action: 'subscribe', topic: 'c' }), { action: 'error', code: 'too_many_subscriptions' })
  t.match(await client.request({ action: 'subscribe', topic: 'a' }), { action: 'subscribed' }, 'a topic already held is fine')
  await client.request({ action: 'unsubscribe', topic: 'a' })
  t.match(await client.request({ action: 'subscribe', topic: 'c' }), { action: 'subscribed' }, 'room is made by unsubscribing')
})
