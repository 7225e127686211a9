/** When an instance's subscriber connection to Redis comes back, its raw WebSocket subscribers get what was published meanwhile, from history, or are told plainly what is missing. */
import t from 'tap'
import WebSocket from 'ws'
import { ProxyerClient } from '../../client/proxyer-client.js'
import { Value } from '@sinclair/typebox/value'
import { eventually, publish, startApp, TestClient } from '../helper.js'
import { ResumedFrame } from '../../src/contract/schemas.js'
import { RedisServer } from '../redis-server.js'

t.test('pub/sub connections cut while another instance accepts publishes: raw subscribers lose nothing', async (t) => {
  const redis = await RedisServer.start(t)
  const env = { REDIS_URL: redis.url, INSTANCE_TTL_MS: 1500 }
  const a = await startApp(t, { ...env, INSTANCE_ID: 'a' })
  const b = await startApp(t, { ...env, INSTANCE_ID: 'b' })
  const raw = await TestClient.connect(t, a.wsUrl)
  await raw.request({ action: 'subscribe', topic: 'booked' }) // the original protocol: no since, no SDK
  const admin = redis.client(t)

  const accepted: number[] = []
  for (let n = 1; n <= 300; n++) {
    // halfway, every pub/sub connection is cut: the instances reconnect and resubscribe on their own
    if (n === 100) await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub')
    const reply = await fetch(`${b.url}/publish/booked`, { method: 'POST', body: JSON.stringify({ message: n }), headers: { 'content-type': 'application/json' } })
    if (reply.status === 200) accepted.push(n)
    await reply.arrayBuffer()
  }
  await raw.waitFor((f) => f.message === accepted.at(-1), 10_000)
  const received = raw.deliveries.map((f) => f.message)
  t.same(received, accepted, 'every accepted booking arrived once, in order')
})

t.test('Redis restarted empty: raw subscribers get the new epoch\'s messages and a notice that older ones may be missing', async (t) => {
  const redis = await RedisServer.start(t)
  const a = await startApp(t, { REDIS_URL: redis.url, INSTANCE_TTL_MS: 1500 })
  const raw = await TestClient.connect(t, a.wsUrl)
  await raw.request({ action: 'subscribe', topic: 'booked' })
  await raw.request({ action: 'publish', topic: 'booked', message: 'before' })
  await redis.kill()
  await redis.restart()
  const notice = await raw.waitFor((f) => f.action === 'resumed', 10_000)
  t.match(notice, { action: 'resumed', topic: 'booked', recovered: false, epoch: String }, 'told plainly that what came between may be lost')
  t.equal(raw.socket.readyState, raw.socket.OPEN)
})

t.test('the SDK, told that its instance resumed with a gap, asks again from its position and says reset', async (t) => {
  const redis = await RedisServer.start(t)
  const a = await startApp(t, { REDIS_URL: redis.url, INSTANCE_TTL_MS: 1500 })
  const client = new ProxyerClient(a.wsUrl, { WebSocket, reconnectDelayMs: 100 })
  t.teardown(() => client.close())
  const messages: unknown[] = []
  client.on('message', ({ message }) => messages.push(message))
  const reset = new Promise((resolve) => client.on('reset', resolve))
  await client.subscribe('booked')
  await client.publish('booked', 'before')
  // the reply can come before the delivery, which goes round through Redis: a kill in between loses it for good
  await eventually(() => messages.includes('before'), 'the first message arrives')
  await redis.kill()
  await redis.restart()
  t.match(await reset, { topic: 'booked', reason: 'epoch_changed' }, 'the SDK tells its user the history was lost')
  await eventually(async () => (await fetch(`${a.url}/ready`)).status === 200, 'ready again')
  await client.publish('booked', 'after')
  await eventually(() => messages.includes('after'), 'the new epoch\'s message arrives')
  t.same(messages, ['before', 'after'], 'each once')
})

t.test('pattern subscribers, whose topics cannot be replayed, are told once per pattern that messages may be missing, and go on live', async (t) => {
  const redis = await RedisServer.start(t)
  const env = { REDIS_URL: redis.url, INSTANCE_TTL_MS: 1500 }
  const a = await startApp(t, { ...env, INSTANCE_ID: 'a' })
  const b = await startApp(t, { ...env, INSTANCE_ID: 'b' })
  const patterned = await TestClient.connect(t, a.wsUrl)
  await patterned.request({ action: 'subscribe', topic: 'zoo.*' })
  await patterned.request({ action: 'subscribe', topic: 'zoo.>' })
  const exact = await TestClient.connect(t, a.wsUrl)
  await exact.request({ action: 'subscribe', topic: 'zoo.north' })
  await publish(b.url, 'zoo.north', 'before')
  await patterned.waitFor((f) => f.message === 'before')
  await exact.waitFor((f) => f.message === 'before')

  await redis.client(t).call('CLIENT', 'KILL', 'TYPE', 'pubsub')
  const notices = [await patterned.waitFor((f) => f.action === 'resumed' && f.topic === 'zoo.*', 10_000), await patterned.waitFor((f) => f.action === 'resumed' && f.topic === 'zoo.>')]
  for (const notice of notices) {
    t.same(Object.keys(notice).sort(), ['action', 'recovered', 'topic'], 'no position: positions are per topic')
    t.ok(Value.Check(ResumedFrame, notice), `${JSON.stringify(notice)} fits the contract`)
  }
  await eventually(async () => (await fetch(`${a.url}/ready`)).status === 200, 'a ready again')
  await publish(b.url, 'zoo.north', 'after')
  await patterned.waitFor((f) => f.message === 'after')
  await exact.waitFor((f) => f.message === 'after')
  await patterned.sync()
  t.same(patterned.deliveries.map((f) => f.message), ['before', 'after'], 'live again, each message once')
  t.notOk(exact.frames.some((f) => f.action === 'resumed'), 'the topic\'s own subscriber missed nothing and is told nothing')
})
