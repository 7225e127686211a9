/** /docs/asyncapi.json: every action the server accepts and every frame it sends (seen in real sessions) is in it. */
import t, { type Test } from 'tap'
import { Value } from '@sinclair/typebox/value'
import { startApp, TestClient } from '../helper.js'
import { RedisServer } from '../redis-server.js'
import { ErrorCode } from '../../src/contract/codes.js'
import { Frames, Requests } from '../../src/contract/schemas.js'

t.test('the AsyncAPI document covers the protocol the server speaks', async (t) => {
  // one attempt, so the nacked job below fails at once and its producer gets the failed frame
  const { url, wsUrl } = await startApp(t, { JOB_MAX_ATTEMPTS: 1 })
  const document = await (await fetch(`${url}/docs/asyncapi.json`)).json() as any
  t.equal(document.asyncapi, '3.0.0')
  const messages = document.channels.message.messages
  t.equal(document.channels.message.address, '/message')

  for (const [action, schema] of Object.entries(Requests)) {
    t.same(messages[`${action}Request`]?.payload, JSON.parse(JSON.stringify(schema)), `the ${action} request as the server checks it`)
  }
  t.same(document.operations.sendRequest.messages.length, Object.keys(Requests).length)
  const errorCodes = messages.errorFrame.payload.properties.code.anyOf.map((c: { const: string }) => c.const)
  t.same(errorCodes.sort(), Object.values(ErrorCode).sort(), 'every error code')

  // a session that makes the server send each kind of frame but `resumed` (a cluster-mode notice, seen below)
  const client = await TestClient.connect(t, wsUrl)
  await client.request({ action: 'auth', token: 'anything' })
  await client.request({ action: 'subscribe', topic: 'booked' })
  const { epoch } = await client.request({ action: 'publish', topic: 'booked', message: '1673254205340:2199:32925:en00030' })
  await client.waitFor((f) => f.action === 'publish')
  await client.request({ action: 'subscribe', topic: 'booked', since: { offset: 0, epoch } })
  await client.request({ action: 'unsubscribe', topic: 'booked' })
  await client.request({ action: 'ping' })
  // nothing configured: any token is taken
  await client.request({ action: 'auth', token: 'anything' })
  await client.request({ action: 'dance' })
  await client.request({ action: 'subscribe', topic: 'zoo tickets' })
  // the work queue: this client queues jobs, watches one and consumes them, so it sees every queue frame
  const first = await client.request({ action: 'enqueue', queue: 'bookings', message: { visitor: 2199 } })
  await client.request({ action: 'watch', queue: 'bookings', job: first.job })
  await client.request({ action: 'consume', queue: 'bookings', prefetch: 1 })
  await client.waitFor((f) => f.action === 'job' && f.job === first.job)
  await client.request({ action: 'ack', queue: 'bookings', job: first.job, result: { ticket: 32925 } })
  await client.waitFor((f) => f.action === 'done' && f.job === first.job)
  const second = await client.request({ action: 'enqueue', queue: 'bookings', message: { visitor: 2200 } })
  await client.waitFor((f) => f.action === 'job' && f.job === second.job)
  await client.request({ action: 'nack', queue: 'bookings', job: second.job, error: 'sold out' })
  await client.waitFor((f) => f.action === 'failed' && f.job === second.job)
  await client.request({ action: 'cancel', queue: 'bookings' })
  const sent = new Set(client.frames.map((f) => f.action as string))
  t.same([...sent, 'resumed'].sort(), Object.keys(Frames).sort(), 'the session saw every kind of frame the document lists')
  checkFrames(t, client.frames, messages)

  // cluster mode: Redis loses its data and the instance's subscriber connection comes back, so the
  // gap cannot be replayed and the raw subscriber is sent `resumed`
  const redis = await RedisServer.start(t)
  const clustered = await startApp(t, { REDIS_URL: redis.url })
  const raw = await TestClient.connect(t, clustered.wsUrl)
  await raw.request({ action: 'subscribe', topic: 'booked' })
  await raw.request({ action: 'publish', topic: 'booked', message: 'before' })
  await raw.waitFor((f) => f.action === 'publish' && f.message === 'before')
  const admin = redis.client(t)
  await admin.call('FLUSHALL')
  await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub')
  const resumed = await raw.waitFor((f) => f.action === 'resumed', 10_000)
  checkFrames(t, [resumed], messages)
})

/** Each frame fits the schema of its kind, and the document carries that schema. */
function checkFrames (t: Test, frames: any[], messages: Record<string, { payload: unknown }>): void {
  for (const frame of frames) {
    const schema = Frames[frame.action as keyof typeof Frames]
    t.ok(schema !== undefined && Value.Check(schema, frame), `${JSON.stringify(frame)} fits its schema`)
    t.same(messages[`${frame.action}Frame`]?.payload, JSON.parse(JSON.stringify(schema)), `the ${frame.action} frame is documented`)
  }
}
