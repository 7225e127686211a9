/** The WebSocket endpoint /message: the protocol, replies, ordering, heartbeats, draining and what a closed socket leaves. */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import t from 'tap'
import { eventually, startApp, TestClient, getJson } from '../helper.js'

const BOOKING = '1673254205340:2199:32925:en00030'

t.test('the original scenario: client 2 subscribes to booked, client 1 publishes, client 2 receives it', async (t) => {
  const { wsUrl } = await startApp(t)
  const client1 = await TestClient.connect(t, wsUrl)
  const client2 = await TestClient.connect(t, wsUrl)

  client2.send({ action: 'subscribe', topic: 'booked' })
  await client2.request({ action: 'ping' }) // the subscribe ran: requests run in order
  client1.send({ action: 'publish', topic: 'booked', message: BOOKING })

  const frame = await client2.waitFor((f) => f.action === 'publish')
  const { action, message, topic, ...added } = frame
  t.same({ action, message, topic }, { action: 'publish', message: BOOKING, topic: 'booked' })
  t.same(Object.keys(added).sort(), ['epoch', 'offset'], 'the only fields added since are the position')
  // a reply to client 1's publish, or a second delivery to client 2, would come before these pongs
  await client1.sync()
  await client2.sync()
  t.same(client1.frames.map((f) => f.action), ['pong'], 'requests without id get no reply, as in the original protocol')
  t.same(client2.frames.map((f) => f.action), ['pong', 'publish', 'pong'], 'client 2 got its pongs and the booking, nothing else')
})

t.test('requests with an id get replies carrying that id', async (t) => {
  const { wsUrl } = await startApp(t)
  const client = await TestClient.connect(t, wsUrl)

  t.match(await client.request({ action: 'subscribe', topic: 'booked' }), { action: 'subscribed', id: client.frames[0].id, topic: 'booked', offset: 0, epoch: String })
  const published = await client.request({ action: 'publish', topic: 'booked', message: { any: ['json', 1] } })
  t.match(published, { action: 'published', topic: 'booked', subscribers: 1, offset: 1, epoch: String })
  t.same(client.deliveries, [{ action: 'publish', topic: 'booked', message: { any: ['json', 1] } }], 'the publisher is subscribed, so it receives its own message unchanged')
  t.match(await client.request({ action: 'unsubscribe', topic: 'booked' }), { action: 'unsubscribed', topic: 'booked' })
  client.send({ action: 'ping', id: 7 })
  t.same(await client.waitFor((f) => f.id === 7), { action: 'pong', id: 7 }, 'numeric ids come back as numbers')
})

t.test('subscribing twice is harmless: one delivery per publish', async (t) => {
  const { wsUrl } = await startApp(t)
  const client = await TestClient.connect(t, wsUrl)
  await client.request({ action: 'subscribe', topic: 'booked' })
  await client.request({ action: 'subscribe', topic: 'booked' })
  const reply = await client.request({ action: 'publish', topic: 'booked', message: 'once' })
  t.equal(reply.subscribers, 1)
  await client.sync()
  t.equal(client.deliveries.length, 1)
})

t.test('topics are isolated and unsubscribe stops delivery', async (t) => {
  const { wsUrl } = await startApp(t)
  const booked = await TestClient.connect(t, wsUrl)
  const visits = await TestClient.connect(t, wsUrl)
  const publisher = await TestClient.connect(t, wsUrl)
  await booked.request({ action: 'subscribe', topic: 'booked' })
  await visits.request({ action: 'subscribe', topic: 'visits' })

  await publisher.request({ action: 'publish', topic: 'booked', message: 'b1' })
  await publisher.request({ action: 'publish', topic: 'visits', message: 'v1' })
  await booked.waitFor((f) => f.message === 'b1')
  await visits.waitFor((f) => f.message === 'v1')

  await booked.request({ action: 'unsubscribe', topic: 'booked' })
  const reply = await publisher.request({ action: 'publish', topic: 'booked', message: 'b2' })
  t.equal(reply.subscribers, 0, 'nobody is left on booked')
  await booked.sync()
  await visits.sync()
  t.same(booked.deliveries.map((f) => f.message), ['b1'], 'booked saw only its topic, and nothing after unsubscribing')
  t.same(visits.deliveries.map((f) => f.message), ['v1'], 'visits saw only its topic')
})

t.test('messages from one publisher arrive in the order sent', async (t) => {
  const { wsUrl } = await startApp(t)
  const subscriber = await TestClient.connect(t, wsUrl)
  const publisher = await TestClient.connect(t, wsUrl)
  await subscriber.request({ action: 'subscribe', topic: 'booked' })
  for (let i = 0; i < 150; i++) publisher.send({ action: 'publish', topic: 'booked', message: i })
  await subscriber.waitFor((f) => f.message === 149)
  t.same(subscriber.deliveries.map((f) => f.message), Array.from({ length: 150 }, (_, i) => i))
})

t.test('a closed connection leaves no subscription behind, over 1,000 cycles', async (t) => {
  const { url, wsUrl } = await startApp(t)
  for (let i = 0; i < 1000; i++) {
    const client = await TestClient.connect(t, wsUrl)
    // half of them close before the server has even answered
    if (i % 2 === 0) await client.request({ action: 'subscribe', topic: 'booked' })
    else client.send({ action: 'subscribe', topic: 'booked' })
    client.socket.close()
  }
  const survivor = await TestClient.connect(t, wsUrl)
  await survivor.request({ action: 'subscribe', topic: 'booked' })
  // the server learns of the last closes a moment after the clients sent them
  await eventually(async () => (await getJson(`${url}/topics/booked`)).subscribers === 1, 'only the one open connection is subscribed')
  const reply = await survivor.request({ action: 'publish', topic: 'booked', message: 'x' })
  t.equal(reply.subscribers, 1)
})

t.test('the server pings clients and drops those that do not answer', async (t) => {
  const { url, wsUrl } = await startApp(t, { PING_INTERVAL_MS: 100 })
  const healthy = await TestClient.connect(t, wsUrl)
  const dead = await TestClient.connect(t, wsUrl)
  await healthy.request({ action: 'subscribe', topic: 'booked' })
  await dead.request({ action: 'subscribe', topic: 'booked' })
  // a frozen client: its socket stays open but it never answers a ping
  dead.socket.pong = () => {}

  const closed = await dead.closed()
  t.equal(closed.code, 1006, 'the server cut the dead connection without a close frame')
  // three more rounds of pings, each of which would have cut the healthy client had it been judged dead
  await pings(healthy, 3)
  t.equal(healthy.socket.readyState, healthy.socket.OPEN, 'a client that answers pings stays connected')
  const stats = await getJson(`${url}/topics/booked`)
  t.equal(stats.subscribers, 1, 'the dropped connection took its subscription with it')
})

t.test('while the server drains, a new WebSocket upgrade is refused and does not hold the shutdown', async (t) => {
  const { app, wsUrl } = await startApp(t, { SHUTDOWN_TIMEOUT_MS: 2000 })
  const mute = await TestClient.connect(t, wsUrl)
  // a client that never answers the close frame keeps the drain open for half the budget
  mute.stopReading()
  const watcher = await TestClient.connect(t, wsUrl)
  const watcherClosed = watcher.closed()
  const closing = app.close()
  t.equal((await watcherClosed).code, 1001, 'the drain has begun')
  const late = await TestClient.connect(t, wsUrl).then(() => 'opened', (err: Error) => err.message)
  t.match(late, /503|ECONNREFUSED/, 'refused')
  const started = Date.now()
  await closing
  t.ok(Date.now() - started < 2000, 'closed within the budget')
})

t.test('an open connection does not keep its upgrade request alive', async (t) => {
  const { app, wsUrl } = await startApp(t)
  // Fastify's request and reply, and Node's ServerResponse, all hold the IncomingMessage
  const requests: Array<WeakRef<object>> = []
  app.websocketServer.on('connection', (socket, request) => { requests.push(new WeakRef(request)) })
  const client = await TestClient.connect(t, wsUrl)
  await client.request({ action: 'subscribe', topic: 'booked' })
  t.equal(requests.length, 1, 'the upgrade went through')
  collectGarbage()
  t.equal(requests[0].deref(), undefined, 'the upgrade request and everything holding it were collected')
  const reply = await client.request({ action: 'publish', topic: 'booked', message: BOOKING })
  t.equal(reply.subscribers, 1, 'the connection still works')
})

t.test('a protocol error on one socket closes it with 1002 and the server keeps serving', async (t) => {
  const { wsUrl } = await startApp(t)
  const broken = await TestClient.connect(t, wsUrl)
  const other = await TestClient.connect(t, wsUrl)
  // a client frame without a mask is a protocol error on the server's side
  broken.tcp.write(Buffer.from([0x81, 0x02, 0x68, 0x69]))
  t.equal((await broken.closed()).code, 1002)
  const reply = await other.request({ action: 'subscribe', topic: 'booked' })
  t.equal(reply.action, 'subscribed')
})

/** Resolves once the client has received `count` pings from the server from now on. */
async function pings (client: TestClient, count: number): Promise<void> {
  await new Promise<void>((resolve) => {
    let left = count
    const onPing = (): void => {
      if (--left > 0) return
      client.socket.off('ping', onPing)
      resolve()
    }
    client.socket.on('ping', onPing)
  })
}

/** Runs a full garbage collection (the flag can be set at runtime; `gc` then exists in a new context). */
function collectGarbage (): void {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  gc()
}
