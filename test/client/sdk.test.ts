/** The client SDK against the real server (embedded and through Redis) and against a scripted fake one. */
import { createServer, type Socket } from 'node:net'
import t, { type Test } from 'tap'
import WebSocket, { WebSocketServer } from 'ws'
import type { FastifyInstance } from 'fastify'
import {
  ProxyerClient, ProxyerError, TopicPosition,
  type ConnectionState, type Delivery, type MissedEvent, type ProxyerClientOptions, type ResetEvent, type RetryEvent, type SubscriptionEvent
} from '../../client/proxyer-client.js'
import { cutSockets, eventually, getJson, MODES, postText, startApp, waitForStatus } from '../helper.js'
import { RedisServer } from '../redis-server.js'

/** A client that records all it emits, closed when the test ends. */
class Recorder {
  readonly client: ProxyerClient
  readonly messages: Delivery[] = []
  readonly states: ConnectionState[] = []
  readonly resets: ResetEvent[] = []
  readonly missed: MissedEvent[] = []
  readonly errors: ProxyerError[] = []
  readonly subscriptions: SubscriptionEvent[] = []
  readonly retries: RetryEvent[] = []

  constructor (t: Test, url: string, options: ProxyerClientOptions = {}) {
    this.client = new ProxyerClient(url, { WebSocket, reconnectDelayMs: 100, ...options })
    t.teardown(() => this.client.close())
    this.client.on('message', (m) => this.messages.push(m))
    this.client.on('state', (s) => this.states.push(s))
    this.client.on('reset', (r) => this.resets.push(r))
    this.client.on('missed', (m) => this.missed.push(m))
    this.client.on('error', (e) => this.errors.push(e))
    this.client.on('subscription', (s) => this.subscriptions.push(s))
    this.client.on('retry', (r) => this.retries.push(r))
  }

  /** The subscription states `topic` went through. */
  topicStates (topic: string): string[] {
    return this.subscriptions.filter((s) => s.topic === topic).map((s) => s.state)
  }

  /** The messages received on `topic`, as offsets. */
  offsets (topic: string): number[] {
    return this.messages.filter((m) => m.topic === topic).map((m) => m.offset)
  }
}

/** POSTs a JSON message, again after each 503 (Redis down), and returns its offset. */
async function publish (url: string, topic: string, message: unknown): Promise<number> {
  let offset = 0
  await eventually(async () => {
    const response = await postText(url, topic, JSON.stringify({ message }), 'application/json')
    if (response.status === 503) return response.arrayBuffer().then(() => false)
    if (!response.ok) throw new Error(`POST /publish/${topic} answered ${response.status}: ${await response.text()}`)
    offset = (await response.json() as { offset: number }).offset
    return true
  }, `POST /publish/${topic} is accepted`)
  return offset
}

// 120 s for the whole file under a load of 25 on 2 cores, which tap's 120 s would cut
t.setTimeout(300_000)

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i)

t.test('subscribe, publish and unsubscribe: promises settled by the server\'s replies', async (t) => {
  const { url, wsUrl } = await startApp(t)
  const sdk = new Recorder(t, wsUrl)
  const { client } = sdk

  const [subscribed, twice] = await Promise.all([client.subscribe('booked'), client.subscribe('booked')])
  t.match(subscribed, { offset: 0, epoch: String }, 'the topic\'s position when subscribed')
  t.same(twice, subscribed, 'a second subscribe() waits for the same reply')
  t.same(await client.subscribe('booked'), subscribed, 'subscribing again answers at once with the position')
  const published = await client.publish('booked', { visitor: 2199 })
  t.same(published, { offset: 1, epoch: subscribed.epoch, subscribers: 1 }, 'publish resolves with the message\'s position')
  await eventually(() => sdk.messages.length === 1, 'the message arrives')
  t.same(sdk.messages, [{ topic: 'booked', message: { visitor: 2199 }, offset: 1, epoch: subscribed.epoch }])
  t.same(client.position('booked'), { offset: 1, epoch: subscribed.epoch }, 'the position to persist')

  await publish(url, 'booked', 'over HTTP')
  await eventually(() => sdk.messages.length === 2, 'the HTTP publish arrives')
  await client.unsubscribe('booked')
  t.equal(client.position('booked'), undefined, 'an unsubscribed topic has no position')
  t.equal((await client.publish('booked', 'unheard')).subscribers, 0)
  await client.unsubscribe('booked') // not subscribed: nothing to do

  const refused = client.publish('not a topic', 'x')
  await t.rejects(refused, { name: 'ProxyerError', code: 'invalid_topic', topic: 'not a topic' })
  await t.rejects(client.subscribe('not/a/topic'), { code: 'invalid_topic' }, 'a refused subscription rejects')
  t.equal(client.position('not/a/topic'), undefined, 'and is forgotten')

  // replies to requests made before an unsubscribe and a new subscribe are not mistaken for the latest
  const first = t.rejects(client.subscribe('visits'), { code: 'unsubscribed' })
  const leaving = client.unsubscribe('visits')
  t.match(await client.subscribe('visits'), { offset: 0 })
  await first
  await leaving
  const refusedFirst = t.rejects(client.subscribe('not/a/topic'), { code: 'unsubscribed' })
  await t.rejects(client.unsubscribe('not/a/topic'), { code: 'invalid_topic' })
  await t.rejects(client.subscribe('not/a/topic'), { code: 'invalid_topic' })
  await refusedFirst
  // a marker on another topic, published after: whatever 'booked' still had to deliver came before it
  await client.subscribe('marker')
  await publish(url, 'marker', 'end')
  await eventually(() => sdk.messages.length === 3, 'the marker arrives')
  t.same(sdk.messages.map((m) => m.message), [{ visitor: 2199 }, 'over HTTP', 'end'], 'nothing after unsubscribing')
  t.same(sdk.errors, [], 'errors went to their promises, not to the error event')

  client.close()
  client.close()
  t.same(sdk.states, ['connecting', 'connected', 'closed'])
  t.equal(client.state, 'closed')
})

for (const mode of MODES) {
  t.test(`${mode.name}: a pattern subscription delivers its topics' messages once; a reconnect or a break in the server's Redis link says what may have been missed`, async (t) => {
    const { app, url, wsUrl, redis } = await mode.start(t)
    const sdk = new Recorder(t, wsUrl, { backoff: () => 60_000 })
    const { client } = sdk

    await t.rejects(client.subscribe('zoo.*.booked'), { code: 'invalid_request', topic: 'zoo.*.booked' }, 'a pattern has no position to resolve subscribe() with')
    await t.rejects(client.subscribePattern('zoo.north.booked'), { code: 'invalid_request' }, 'a plain topic is subscribed by name')
    await t.rejects(client.subscribePattern('zoo..*'), { code: 'invalid_topic' }, 'the server refuses a malformed pattern')
    await Promise.all([client.subscribePattern('zoo.*.booked'), client.subscribePattern('zoo.*.booked')])
    await client.subscribe('zoo.north.booked')
    t.equal(client.subscriptionState('zoo.*.booked'), 'active')
    t.equal(client.position('zoo.*.booked'), undefined, 'a pattern has no position')

    for (const topic of ['zoo.north.booked', 'zoo.south.booked', 'zoo.booked', 'zoo.a.b.booked', 'zoo.east.booked']) await publish(url, topic, topic)
    await eventually(() => sdk.messages.length === 3, 'the three matching messages arrive')
    t.same(sdk.messages.map((m) => [m.topic, m.message, m.offset]), [['zoo.north.booked', 'zoo.north.booked', 1], ['zoo.south.booked', 'zoo.south.booked', 1], ['zoo.east.booked', 'zoo.east.booked', 1]],
      'each once with its own topic, the one also subscribed by name included')
    t.same(sdk.missed, [])

    const reconnecting = new Promise<void>((resolve) => client.on('state', (s) => { if (s === 'reconnecting') resolve() }))
    cutSockets(app)
    await reconnecting
    await publish(url, 'zoo.north.booked', 'away 1')
    await publish(url, 'zoo.south.booked', 'away 2')
    client.reconnectNow()
    await eventually(() => sdk.missed.length === 1 && client.subscriptionState('zoo.*.booked') === 'active', 'the pattern is confirmed again')
    t.same(sdk.missed, [{ pattern: 'zoo.*.booked', reason: 'reconnected' }], 'the pattern may have missed messages while away')
    await eventually(() => sdk.messages.length === 4, 'the topic subscribed by name resumes')
    t.same(sdk.messages[3], { topic: 'zoo.north.booked', message: 'away 1', offset: 2, epoch: sdk.messages[0].epoch }, 'replayed through its own position; the other one is told of, not replayed')

    if (redis !== undefined) {
      // the instance's own link to Redis breaks: it tells its pattern subscribers once it is back
      await redis.kill()
      await waitForStatus(`${url}/ready`, 503)
      await redis.restart()
      await eventually(() => sdk.missed.length === 2, 'the server says the pattern may have missed messages')
      t.same(sdk.missed[1], { pattern: 'zoo.*.booked', reason: 'server_interrupted' })
    }

    await client.unsubscribe('zoo.*.booked')
    t.equal(client.subscriptionState('zoo.*.booked'), undefined)
    const before = sdk.messages.length
    await publish(url, 'zoo.south.booked', 'unheard')
    await publish(url, 'zoo.north.booked', 'marker')
    await eventually(() => sdk.messages.length === before + 1, 'the marker arrives')
    t.same(sdk.messages.at(-1)?.message, 'marker', 'nothing through the pattern once unsubscribed')
  })
}

t.test('a dropped connection: the client reconnects and resumes, every message once and in order', async (t) => {
  const { app, url, wsUrl } = await startApp(t)
  // the client stays away until reconnectNow(), however long the publishes take
  const sdk = new Recorder(t, wsUrl, { backoff: () => 60_000 })
  await sdk.client.subscribe('booked')
  for (const n of range(1, 3)) await publish(url, 'booked', n)
  await eventually(() => sdk.messages.length === 3, 'the first three arrive')

  const reconnecting = new Promise<void>((resolve) => sdk.client.on('state', (s) => { if (s === 'reconnecting') resolve() }))
  cutSockets(app)
  await reconnecting
  for (const n of range(4, 6)) await publish(url, 'booked', n)
  t.equal(sdk.messages.length, 3, 'published while the client was away')
  // requests made while disconnected wait for the connection
  const queued = sdk.client.publish('booked', 7)
  const other = sdk.client.subscribe('visits')
  sdk.client.reconnectNow()
  t.match(await queued, { offset: 7 }, 'a publish made while disconnected is sent on reconnect')
  t.match(await other, { offset: 0 })
  await eventually(() => sdk.messages.length === 7, 'the missed messages and the queued one arrive')
  t.same(sdk.offsets('booked'), range(1, 7))
  t.same(sdk.messages.map((m) => m.message), range(1, 7))
  t.same(sdk.states, ['connecting', 'connected', 'reconnecting', 'connected'])
  t.same(sdk.resets, [])
})

t.test('a publish whose reply never came is kept to be sent again with its key; close() rejects what waits', async (t) => {
  const { app, wsUrl } = await startApp(t)
  const sdk = new Recorder(t, wsUrl, { backoff: () => 60_000 })
  await sdk.client.subscribe('booked')
  const inFlight = t.rejects(sdk.client.publish('booked', 'lost?'), { code: 'closed' }, 'kept for the reconnect until close()')
  const leaving = sdk.client.unsubscribe('booked')
  cutSockets(app) // before the server reads the requests, so it never answers them
  await leaving
  t.equal(sdk.client.state, 'reconnecting')

  const queued = t.rejects(sdk.client.publish('booked', 'never sent'), { code: 'closed' })
  const cancelled = t.rejects(sdk.client.subscribe('visits'), { code: 'unsubscribed' }, 'the subscription it cancelled rejects')
  t.equal(await sdk.client.unsubscribe('visits').catch(() => 'refused'), undefined, 'unsubscribe while disconnected resolves at once')
  await cancelled
  const pending = t.rejects(sdk.client.subscribe('visits'), { code: 'closed' })
  sdk.client.close()
  await queued
  await pending
  await inFlight
  t.equal(sdk.client.state, 'closed')
})

t.test('a publish whose outcome is unknown (Redis froze) is sent again with its key until Redis answers: published once, answered as the first', async (t) => {
  const redis = await RedisServer.start(t)
  t.teardown(() => redis.signal('SIGCONT'))
  const { url, wsUrl } = await startApp(t, { REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: 1000 })
  const watcher = new Recorder(t, wsUrl)
  await watcher.client.subscribe('booked')
  const sdk = new Recorder(t, wsUrl, { backoff: () => 100 })
  await sdk.client.publish('booked', 'warm')
  redis.signal('SIGSTOP')
  // sent to Redis, which takes it but cannot answer: 504 outcome_unknown, then refusals (unavailable) while frozen
  const publishing = sdk.client.publish('booked', 'once', { key: 'booking-7' })
  await waitForStatus(`${url}/ready`, 503)
  redis.signal('SIGCONT')
  t.match(await publishing, { offset: 2 }, 'answered as the first attempt, which Redis ran once thawed')
  t.equal((await getJson(`${url}/topics/booked`)).published, 2, 'published once')
  t.same(sdk.errors, [], 'neither outcome_unknown nor unavailable was final')
  await sdk.client.publish('booked', 'last')
  await eventually(() => watcher.messages.some((m) => m.message === 'last'), 'the watcher has all')
  t.same(watcher.messages.map((m) => m.message), ['warm', 'once', 'last'])
})

/** A publisher on a WebSocket of its own with all its publishes in flight at once: far cheaper than as many HTTP requests. */
class SocketPublisher {
  private readonly waiting = new Map<number, (reply: any) => void>()
  private nextId = 0

  private constructor (private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const reply = JSON.parse(data.toString())
      this.waiting.get(reply.id)?.(reply)
      this.waiting.delete(reply.id)
    })
    socket.on('close', () => {
      for (const settle of this.waiting.values()) settle({ action: 'closed' })
      this.waiting.clear()
    })
  }

  static async connect (t: Test, wsUrl: string): Promise<SocketPublisher> {
    const socket = new WebSocket(wsUrl)
    t.teardown(() => socket.terminate())
    await new Promise((resolve, reject) => {
      socket.once('open', resolve)
      socket.once('error', reject)
    })
    return new SocketPublisher(socket)
  }

  /** Publishes the messages from..to on 'booked', noting each one's offset. */
  async publishRange (from: number, to: number, accepted: Map<number, number>): Promise<void> {
    await Promise.all(range(from, to).map(async (n) => {
      const reply = await new Promise<any>((resolve) => {
        const id = this.nextId++
        this.waiting.set(id, resolve)
        this.socket.send(JSON.stringify({ action: 'publish', topic: 'booked', message: n, id }))
      })
      if (reply.action !== 'published') throw new Error(`publish ${n} answered ${JSON.stringify(reply)}`)
      accepted.set(reply.offset, n)
    }))
  }
}

/**
 * Six times: 600 messages while connected, the connection cut, 100 while the client is away (it
 * waits for reconnectNow()), then back while the next 600 go out, so the replay races live deliveries.
 */
async function fiveThousandMessages (t: Test, subscribeTo: { app: FastifyInstance, wsUrl: string }, publishTo: { wsUrl: string }): Promise<void> {
  const total = 5000
  const sdk = new Recorder(t, subscribeTo.wsUrl, { backoff: () => 60_000 })
  await sdk.client.subscribe('booked')
  const accepted = new Map<number, number>()
  let publisher = await SocketPublisher.connect(t, publishTo.wsUrl)
  // a resubscription refused for a while (Redis slow to replay on a loaded machine) would wait the backoff's minute: asked again at once
  const resumed = (): boolean => {
    sdk.client.reconnectNow()
    return sdk.client.state === 'connected' && sdk.client.subscriptionState('booked') === 'active'
  }
  let published = 0
  for (let cut = 0; cut < 6; cut++) {
    await publisher.publishRange(published + 1, published + 600, accepted)
    await eventually(resumed, 'the client is back')
    cutSockets(subscribeTo.app)
    await eventually(() => sdk.client.state === 'reconnecting', 'the cut is seen')
    // embedded, the publisher's socket was cut too
    publisher = await SocketPublisher.connect(t, publishTo.wsUrl)
    await publisher.publishRange(published + 601, published + 700, accepted)
    published += 700
    sdk.client.reconnectNow()
  }
  await publisher.publishRange(published + 1, total, accepted)
  await eventually(() => resumed() && sdk.messages.length >= total, `all ${total} messages arrive`, 60_000).catch((err: Error) => {
    const seen = new Set(sdk.offsets('booked'))
    throw new Error(`${err.message}: ${seen.size} did, missing ${range(1, total).filter((n) => !seen.has(n)).slice(0, 10).join()}…; ` +
      `subscription ${sdk.topicStates('booked').join()}; errors ${sdk.errors.map((e) => e.code).join()}`)
  })
  // a marker through the same path, published after: a message arriving twice would have come before it
  await sdk.client.subscribe('marker')
  await sdk.client.publish('marker', 'end')
  await eventually(() => sdk.offsets('marker').length === 1, 'the marker arrives')
  t.equal(sdk.states.filter((s) => s === 'reconnecting').length, 6, 'one reconnect per cut')
  t.equal(sdk.offsets('booked').length, total, 'no message twice')
  t.same(sdk.offsets('booked'), range(1, total), 'every offset once, in order')
  t.ok(sdk.messages.every((m) => m.topic === 'marker' || accepted.get(m.offset) === m.message), 'each message is the one accepted at its offset')
  t.same(sdk.resets, [], 'no reset: the history covered every gap')
}

t.test('5,000 messages published while the connection is cut again and again: each arrives once, in order', async (t) => {
  t.test('embedded', async (t) => {
    const app = await startApp(t)
    await fiveThousandMessages(t, app, app)
  })

  t.test('through Redis: subscribed on instance A, published on instance B', async (t) => {
    const redis = await RedisServer.start(t)
    const a = await startApp(t, { REDIS_URL: redis.url, INSTANCE_ID: 'a' })
    const b = await startApp(t, { REDIS_URL: redis.url, INSTANCE_ID: 'b' })
    await fiveThousandMessages(t, a, b)
  })
})

t.test('Redis restarted without persistence: a reset with the new epoch, then live delivery goes on', async (t) => {
  const redis = await RedisServer.start(t)
  const { url, wsUrl } = await startApp(t, { REDIS_URL: redis.url, INSTANCE_TTL_MS: 1500 })
  const sdk = new Recorder(t, wsUrl)
  const { epoch: before } = await sdk.client.subscribe('booked')
  for (const n of range(1, 3)) await publish(url, 'booked', n)
  await eventually(() => sdk.messages.length === 3, 'the first messages arrive')

  await redis.kill()
  await waitForStatus(`${url}/ready`, 503)
  await redis.restart()
  await waitForStatus(`${url}/ready`, 200)
  // the instance subscribes to Redis again by itself; publish until a message gets through
  const accepted: number[] = []
  await eventually(async () => {
    accepted.push(await publish(url, 'booked', `after ${accepted.length + 1}`))
    return sdk.resets.length > 0
  }, 'a reset after the restart')
  for (let i = 0; i < 3; i++) accepted.push(await publish(url, 'booked', `after ${accepted.length + 1}`))
  await eventually(() => sdk.messages.length === 3 + accepted.length, 'every message published after the restart arrives')

  const [reset] = sdk.resets
  t.not(reset.epoch, before, 'the topic has a new epoch')
  t.same(sdk.resets, [{ topic: 'booked', epoch: reset.epoch, offset: 0, reason: 'epoch_changed' }], 'one reset, from the start of the new epoch')
  t.same(accepted, range(1, accepted.length), 'offsets started again at 1')
  const after = sdk.messages.slice(3)
  t.same(after.map((m) => [m.offset, m.epoch, m.message]), accepted.map((offset) => [offset, reset.epoch, `after ${offset}`]),
    'the messages of the new epoch, those published before the instance was back on Redis included, once and in order')
  t.same(sdk.client.position('booked'), { offset: accepted.length, epoch: reset.epoch })
})

t.test('positions that cannot be resumed surface as reset events', async (t) => {
  const { app, url, wsUrl } = await startApp(t, { HISTORY_SIZE: 10 })
  for (const n of range(1, 3)) await publish(url, 'booked', n)
  const { epoch } = await (await fetch(`${url}/topics/booked/history`)).json() as { epoch: string }

  t.test('a stale epoch', async (t) => {
    const sdk = new Recorder(t, wsUrl)
    const result = await sdk.client.subscribe('booked', { since: { offset: 2, epoch: 'stale' } })
    t.same(result, { offset: 3, epoch, recovered: false })
    t.same(sdk.resets, [{ topic: 'booked', epoch, offset: 3, reason: 'epoch_changed' }])
    await publish(url, 'booked', 4)
    await eventually(() => sdk.messages.length === 1, 'the next message arrives')
    t.same(sdk.offsets('booked'), [4], 'nothing before the reset position is replayed')
  })

  t.test('an offset the history no longer holds', async (t) => {
    for (const n of range(5, 34)) await publish(url, 'booked', n)
    const sdk = new Recorder(t, wsUrl)
    t.same(await sdk.client.subscribe('booked', { since: { offset: 4, epoch } }), { offset: 34, epoch, recovered: false })
    t.same(sdk.resets, [{ topic: 'booked', epoch, offset: 34, reason: 'not_recovered' }])
  })

  t.test('a saved position the history still holds is resumed', async (t) => {
    const sdk = new Recorder(t, wsUrl)
    t.same(await sdk.client.subscribe('booked', { since: { offset: 30, epoch } }), { offset: 34, epoch, recovered: true })
    t.same(sdk.offsets('booked'), range(31, 34))
    t.same(sdk.resets, [])
  })

  t.test('a reconnect after more messages than the history keeps', async (t) => {
    const sdk = new Recorder(t, wsUrl, { backoff: () => 60_000 })
    await sdk.client.subscribe('booked')
    await publish(url, 'booked', 35)
    await eventually(() => sdk.messages.length === 1, 'a message arrives')
    const reconnecting = new Promise<void>((resolve) => sdk.client.on('state', (s) => { if (s === 'reconnecting') resolve() }))
    cutSockets(app)
    await reconnecting
    for (const n of range(36, 50)) await publish(url, 'booked', n)
    sdk.client.reconnectNow()
    await eventually(() => sdk.resets.length === 1, 'the reset')
    t.same(sdk.resets, [{ topic: 'booked', epoch, offset: 50, reason: 'not_recovered' }])
    await publish(url, 'booked', 51)
    await eventually(() => sdk.messages.length === 2, 'live delivery goes on')
    t.same(sdk.offsets('booked'), [35, 51])
  })
})

t.test('TopicPosition: what each delivery means against the last one', async (t) => {
  const position = new TopicPosition()
  t.equal(position.known, undefined)
  t.equal(position.accept(5, 'e1'), 'deliver', 'the first delivery sets an unknown position')
  t.same(position.known, { offset: 5, epoch: 'e1' })
  t.equal(position.accept(6, 'e1'), 'deliver')
  t.equal(position.accept(6, 'e1'), 'duplicate')
  t.equal(position.accept(3, 'e1'), 'duplicate')
  t.equal(position.accept(8, 'e1'), 'gap')
  t.same(position.known, { offset: 6, epoch: 'e1' }, 'only the next offset moves the position')
  t.equal(position.accept(1, 'e2'), 'new_epoch')
  t.same(position.known, { offset: 6, epoch: 'e1' })
  position.moveTo(0, 'e2')
  t.equal(position.accept(1, 'e2'), 'deliver')
  const start = { offset: 2, epoch: 'e3' }
  const resumed = new TopicPosition(start)
  start.offset = 9
  t.same(resumed.known, { offset: 2, epoch: 'e3' }, 'a copy of the start position')
})

/** A scripted stand-in for proxyer: each test answers the client's frames itself. */
class FakeServer {
  readonly received: any[] = []
  sockets: WebSocket[] = []
  private constructor (readonly wss: WebSocketServer, readonly url: string) {}

  static async start (t: Test, answer: (frame: any, socket: WebSocket) => void): Promise<FakeServer> {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
    await new Promise((resolve) => wss.once('listening', resolve))
    const address = wss.address() as { port: number }
    const server = new FakeServer(wss, `ws://127.0.0.1:${address.port}`)
    wss.on('connection', (socket) => {
      server.sockets.push(socket)
      socket.on('message', (data) => {
        const frame = JSON.parse(data.toString())
        server.received.push(frame)
        answer(frame, socket)
      })
    })
    t.teardown(() => new Promise((resolve) => {
      for (const client of wss.clients) client.terminate()
      wss.close(resolve)
    }))
    return server
  }
}

function send (socket: WebSocket, frame: unknown): void {
  socket.send(JSON.stringify(frame))
}

const delivery = (offset: number, epoch = 'e1', topic = 'booked') => ({ action: 'publish', topic, message: `m${offset}`, offset, epoch })

t.test('against a fake server: duplicates dropped, a gap recovered from the last position', async (t) => {
  const server = await FakeServer.start(t, (frame, socket) => {
    if (frame.action !== 'subscribe') return
    if (frame.since === undefined) {
      send(socket, { action: 'subscribed', id: frame.id, topic: frame.topic, offset: 0, epoch: 'e1' })
      for (const offset of [1, 2, 2, 1, 5]) send(socket, delivery(offset))
      return
    }
    // a live message slips in before the replay, as it can while the server switches over
    send(socket, delivery(6))
    for (const offset of [3, 4, 5]) send(socket, delivery(offset))
    send(socket, { action: 'subscribed', id: frame.id, topic: frame.topic, offset: 5, epoch: 'e1', recovered: true })
    send(socket, delivery(7))
  })
  const sdk = new Recorder(t, server.url)
  await sdk.client.subscribe('booked')
  await eventually(() => sdk.messages.length === 7, 'seven messages')
  t.same(sdk.offsets('booked'), range(1, 7))
  t.same(sdk.messages.map((m) => m.message), range(1, 7).map((n) => `m${n}`))
  t.match(server.received[1], { action: 'subscribe', topic: 'booked', since: { offset: 2, epoch: 'e1' } }, 'the gap after 2 asks again from 2')
  t.same(sdk.resets, [])
})

t.test('against a fake server: a new epoch in a live delivery is taken from its start', async (t) => {
  const server = await FakeServer.start(t, (frame, socket) => {
    if (frame.action !== 'subscribe') return
    if (frame.topic === 'booked' && frame.since === undefined) {
      send(socket, { action: 'subscribed', id: frame.id, topic: 'booked', offset: 4, epoch: 'e1' })
      send(socket, delivery(5))
      send(socket, delivery(3, 'e2'))
    } else if (frame.topic === 'booked') {
      for (const offset of [1, 2, 3]) send(socket, delivery(offset, 'e2'))
      send(socket, { action: 'subscribed', id: frame.id, topic: 'booked', offset: 3, epoch: 'e2', recovered: true })
    } else if (frame.topic === 'visits') {
      // a position in no epoch: the server's Redis was down when it subscribed
      send(socket, { action: 'subscribed', id: frame.id, topic: 'visits', offset: 0, epoch: '' })
      send(socket, delivery(7, 'e3', 'visits'))
      send(socket, delivery(1, 'e4', 'visits'))
    }
  })
  const sdk = new Recorder(t, server.url)
  await sdk.client.subscribe('booked')
  await sdk.client.subscribe('visits')
  await eventually(() => sdk.messages.length === 6, 'six messages')
  t.match(server.received.filter((f) => f.topic === 'booked'), [{}, { since: { offset: 0, epoch: 'e2' } }], 'the new epoch is asked for from its start')
  const seen = (topic: string) => sdk.messages.filter((m) => m.topic === topic).map((m) => [m.offset, m.epoch])
  t.same(seen('booked'), [[5, 'e1'], [1, 'e2'], [2, 'e2'], [3, 'e2']])
  t.same(seen('visits'), [[7, 'e3'], [1, 'e4']])
  t.same(sdk.resets.filter((r) => r.topic === 'booked'), [{ topic: 'booked', epoch: 'e2', offset: 0, reason: 'epoch_changed' }],
    'a reset before the first message of the new epoch')
  t.same(sdk.resets.filter((r) => r.topic === 'visits'), [
    { topic: 'visits', epoch: 'e3', offset: 6, reason: 'epoch_changed' },
    { topic: 'visits', epoch: 'e4', offset: 0, reason: 'epoch_changed' }
  ], 'a position in no epoch starts at the first message; a new epoch starting at 1 needs no recovery')
})

t.test('against a fake server: refused subscriptions, stray errors, odd frames', async (t) => {
  let unavailable = 2
  const server = await FakeServer.start(t, (frame, socket) => {
    if (frame.action === 'subscribe' && frame.topic === 'busy') {
      if (unavailable-- > 0) send(socket, { action: 'error', code: 'unavailable', error: 'Redis is down', id: frame.id })
      else send(socket, { action: 'subscribed', id: frame.id, topic: 'busy', offset: 2, epoch: 'e1', recovered: true })
    } else if (frame.action === 'subscribe' && frame.topic === 'full') {
      send(socket, { action: 'error', code: 'too_many_subscriptions', error: 'At most 1', id: frame.id })
    } else if (frame.action === 'subscribe') {
      send(socket, { action: 'subscribed', id: frame.id, topic: frame.topic, offset: 0, epoch: 'e1' })
    } else if (frame.action === 'unsubscribe') {
      send(socket, { action: 'error', code: 'rate_limited', error: 'Too many requests', id: frame.id })
    } else if (frame.action === 'publish') {
      socket.send('not json')
      send(socket, { action: 'error', code: 'bad_json', error: 'The frame is not valid JSON' })
      send(socket, { action: 'pong', id: 'not ours' })
      send(socket, delivery(1, 'e1', 'nobody'))
      send(socket, { action: 'published', id: frame.id, topic: frame.topic, subscribers: 0, offset: 1, epoch: 'e1' })
    }
  })
  const sdk = new Recorder(t, server.url, { reconnectDelayMs: 20 })

  const busy = sdk.client.subscribe('busy', { since: { offset: 2, epoch: 'e1' } })
  t.same(await busy, { offset: 2, epoch: 'e1', recovered: true }, 'unavailable: the subscribe is sent again after a backoff')
  t.equal(server.received.filter((f) => f.topic === 'busy').length, 3)
  t.same(sdk.errors, [], 'a subscribe() waiting reports through its promise only')

  await t.rejects(sdk.client.unsubscribe('busy'), { code: 'rate_limited' }, 'a refused unsubscribe rejects')
  t.same(await sdk.client.publish('other', 1), { offset: 1, epoch: 'e1', subscribers: 0 }, 'odd frames are skipped')
  t.match(sdk.errors, [{ code: 'bad_json', message: 'The frame is not valid JSON' }], 'an error frame for no request goes to the error event')

  await t.rejects(sdk.client.subscribe('full'), { code: 'too_many_subscriptions', topic: 'full' })
  await sdk.client.subscribe('kept')

  // on reconnect, a resubscription refused past failAfter (3) retries is reported as an error event, once
  await sdk.client.subscribe('busy')
  server.received.length = 0
  unavailable = 5
  server.sockets[0].close(1001, 'restart')
  await eventually(() => sdk.topicStates('busy').at(-2) === 'failed' && sdk.client.subscriptionState('busy') === 'active', 'the resubscription goes through in the end')
  t.equal(server.received.filter((f) => f.topic === 'busy').length, 6, 'five refusals, then the reply')
  t.match(sdk.errors.slice(1), [{ code: 'unavailable', topic: 'busy' }], 'reported once, at the fourth refusal')
  t.same(sdk.topicStates('busy').slice(-4), ['active', 'pending', 'failed', 'active'], 'failed meanwhile')
  t.same(sdk.client.position('kept'), { offset: 0, epoch: 'e1' })
})

t.test('against a fake server: a resubscription refused for good is dropped and reported', async (t) => {
  let refuse = false
  const server = await FakeServer.start(t, (frame, socket) => {
    if (frame.action !== 'subscribe') return
    if (refuse) send(socket, { action: 'error', code: 'too_many_subscriptions', error: 'At most 0', id: frame.id })
    else send(socket, { action: 'subscribed', id: frame.id, topic: frame.topic, offset: 0, epoch: 'e1' })
  })
  const sdk = new Recorder(t, server.url, { reconnectDelayMs: 20 })
  await sdk.client.subscribe('booked')
  refuse = true
  server.sockets[0].close(1001, 'restart')
  await eventually(() => sdk.errors.length === 1, 'the refusal is reported')
  t.match(sdk.errors, [{ code: 'too_many_subscriptions', topic: 'booked' }])
  t.equal(sdk.client.position('booked'), undefined, 'the topic is dropped')
})

t.test('a connection that never opens is abandoned and tried again', async (t) => {
  const attempts: Socket[] = []
  const silent = createServer((socket) => attempts.push(socket))
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => {
    for (const socket of attempts) socket.destroy()
    silent.close(resolve)
  }))
  const { port } = silent.address() as { port: number }
  const sdk = new Recorder(t, `ws://127.0.0.1:${port}/message`, { connectTimeoutMs: 100, reconnectDelayMs: 20 })
  const queued = t.rejects(sdk.client.publish('booked', 'waits'), { code: 'closed' }, 'a queued publish waits through failed attempts')
  await eventually(() => attempts.length >= 2, 'a second attempt')
  t.same(sdk.states.slice(0, 2), ['connecting', 'reconnecting'])
  sdk.client.close()
  await queued
})

t.test('a URL the WebSocket class refuses is reported and tried again', async (t) => {
  const sdk = new Recorder(t, 'not a url', { reconnectDelayMs: 20 })
  await eventually(() => sdk.errors.length >= 2, 'two attempts')
  t.match(sdk.errors[0], { code: 'connect_failed', message: /not a url/ })
  t.equal(sdk.client.state, 'reconnecting')
})

t.test('without a WebSocket class (Node 20 has no global one), the constructor says what to pass', async (t) => {
  t.throws(() => new ProxyerClient('ws://127.0.0.1:1/message'), { name: 'TypeError', message: /options\.WebSocket/ })
})

t.test('a client closed at once never connects', async (t) => {
  const server = await FakeServer.start(t, () => {})
  const sdk = new Recorder(t, server.url)
  sdk.client.close()
  new ProxyerClient(server.url, { WebSocket }).close() // with no listener at all
  // a client opened after them: a connection they had started would have reached the server first
  const marker = new Recorder(t, server.url)
  await eventually(() => marker.client.state === 'connected', 'the marker client connects')
  t.same(sdk.states, ['closed'])
  t.same(sdk.retries, [], 'no reconnect planned')
  t.equal(server.sockets.length, 1, 'only the marker client\'s connection')
})

t.test('a client closed by a state listener stops reconnecting', async (t) => {
  const server = await FakeServer.start(t, () => {})
  const sdk = new Recorder(t, server.url, { reconnectDelayMs: 20 })
  sdk.client.on('state', (state) => { if (state === 'reconnecting') sdk.client.close() })
  await eventually(() => server.sockets.length === 1, 'the connection')
  server.sockets[0].close(1001, 'restart')
  await eventually(() => sdk.client.state === 'closed', 'closed')
  t.same(sdk.states, ['connecting', 'connected', 'reconnecting', 'closed'])
  t.same(sdk.retries, [], 'no reconnect planned: closed before its timer was set')
  t.equal(server.sockets.length, 1, 'no other connection')
})

t.test('a throwing listener neither stops the others nor the client: its error is thrown apart', async (t) => {
  const server = await FakeServer.start(t, () => {})
  const client = new ProxyerClient(server.url, { WebSocket })
  const seen: ConnectionState[] = []
  client.on('state', () => { throw new Error('listener bug') })
  const off = client.on('state', (s) => seen.push(s))
  const rethrown: Array<() => void> = []
  const { setTimeout: realSetTimeout } = globalThis
  globalThis.setTimeout = ((fn: () => void) => { rethrown.push(fn) }) as typeof setTimeout
  try {
    client.close()
  } finally {
    globalThis.setTimeout = realSetTimeout
  }
  t.same(seen, ['closed'], 'the next listener still ran')
  t.throws(() => rethrown[0](), { message: 'listener bug' })
  off()
})

t.test('a resubscription Redis keeps refusing (it was killed): failed and an error event after failAfter retries, active once Redis is back', async (t) => {
  const redis = await RedisServer.start(t)
  const { app, url, wsUrl } = await startApp(t, { REDIS_URL: redis.url })
  // quick retries until the failure is told, then a long wait that only reconnectNow() cuts short
  const sdk = new Recorder(t, wsUrl, { failAfter: 3, backoff: (attempt) => attempt < 3 ? 20 : 60_000 })
  await sdk.client.subscribe('kept')
  const { epoch: before } = await sdk.client.subscribe('booked')
  await publish(url, 'booked', 1)
  await eventually(() => sdk.messages.length === 1, 'a first message')
  await redis.kill()
  await waitForStatus(`${url}/ready`, 503)

  // the connection drops too: resuming 'booked' from its position needs its history, which is in Redis
  cutSockets(app)
  await eventually(() => sdk.errors.length === 2, 'the persistent failures are told')
  const told = [...sdk.errors].sort((a, b) => String(a.topic).localeCompare(String(b.topic)))
  t.match(told, ['booked', 'kept'].map((topic) => ({ name: 'ProxyerError', code: 'unavailable', topic, message: /Redis is not connected/ })), 'one error event per topic, with the server\'s code and words')
  t.equal(sdk.client.subscriptionState('booked'), 'failed', 'the subscription says failed')
  t.match(sdk.subscriptions.filter((s) => s.topic === 'booked').slice(-2), [{ state: 'pending' }, { state: 'failed', error: { code: 'unavailable' } }])
  t.equal(sdk.client.state, 'connected', 'the connection itself is back')
  t.equal(sdk.client.subscriptionState('kept'), 'failed')

  await redis.restart()
  await waitForStatus(`${url}/ready`, 200)
  sdk.client.reconnectNow()
  await eventually(() => sdk.client.subscriptionState('booked') === 'active' && sdk.client.subscriptionState('kept') === 'active', 'asked again at once, they go through')
  t.same(sdk.topicStates('booked'), ['pending', 'active', 'pending', 'failed', 'active'])
  t.equal(sdk.errors.length, 2, 'each told once')
  const reset = sdk.resets.find((r) => r.topic === 'booked')
  t.match(reset, { reason: 'epoch_changed' }, 'Redis came back empty: the app is told to reload')
  t.not(reset?.epoch, before)
  await publish(url, 'booked', 'after')
  await eventually(() => sdk.messages.length === 2, 'live delivery')
})

t.test('a server that cannot be reached: an unreachable error after failAfter attempts, retries going on, delays capped at 10 s', async (t) => {
  const { app, wsUrl } = await startApp(t)
  const sdk = new Recorder(t, wsUrl, { reconnectDelayMs: 5000, failAfter: 2 })
  await sdk.client.subscribe('booked')
  await app.close()
  await eventually(() => sdk.retries.length === 1, 'the first retry is planned')
  t.equal(sdk.client.subscriptionState('booked'), 'pending', 'a subscription waits for the connection again')
  // each failed attempt plans the next one; reconnectNow() skips the wait
  for (let attempt = 1; attempt <= 4; attempt++) {
    sdk.client.reconnectNow()
    await eventually(() => sdk.retries.length === attempt + 1, `attempt ${attempt} fails`)
  }
  t.same(sdk.retries.map((r) => r.attempt), [0, 1, 2, 3, 4])
  const ceilings = [5000, 10_000, 10_000, 10_000, 10_000]
  sdk.retries.forEach(({ delayMs }, i) => t.ok(delayMs >= ceilings[i] / 2 && delayMs <= ceilings[i], `delay ${i}: ${Math.round(delayMs)} ms within half to all of ${ceilings[i]} ms`))
  t.match(sdk.errors, [{ code: 'unreachable', message: /could not be reached after 2 attempts; still trying/ }], 'told once, after two failed attempts')
  t.equal(sdk.client.state, 'reconnecting')
})

t.test('back online or the tab shown again: the client reconnects at once', async (t) => {
  const { app, wsUrl } = await startApp(t)
  const window = new EventTarget()
  const document = Object.assign(new EventTarget(), { visibilityState: 'hidden' })
  const sdk = new Recorder(t, wsUrl, { window, document, backoff: () => 60_000 })
  sdk.client.reconnectNow() // while the first connection is under way: nothing to do
  await sdk.client.subscribe('booked')
  sdk.client.reconnectNow() // connected, and no subscription waits: nothing to do
  t.equal(app.connections.open.size, 1, 'one connection')

  const reconnected = async (wake: () => void): Promise<void> => {
    cutSockets(app)
    await eventually(() => sdk.client.state === 'reconnecting', 'the drop is seen')
    wake()
    await eventually(() => sdk.client.state === 'connected', 'reconnected without waiting the minute')
    await eventually(() => sdk.client.subscriptionState('booked') === 'active', 'resubscribed')
  }
  await reconnected(() => window.dispatchEvent(new Event('online')))
  await reconnected(() => {
    document.dispatchEvent(new Event('visibilitychange')) // still hidden: no retry
    t.equal(sdk.client.state, 'reconnecting', 'a hidden tab waits')
    document.visibilityState = 'visible'
    document.dispatchEvent(new Event('visibilitychange'))
  })
  t.same(sdk.topicStates('booked'), ['pending', 'active', 'pending', 'active', 'pending', 'active'])
  t.equal(app.connections.open.size, 1, 'still one connection')
  sdk.client.close()
  window.dispatchEvent(new Event('online'))
  t.equal(sdk.client.state, 'closed', 'a closed client stays closed')
})
