/** Wildcard subscriptions and idempotent publish, run from one table in embedded and in Redis mode alike (the paged listing at scale: topic-listing.long.ts). */
import t, { type Test } from 'tap'
import { getJson, MODES, type RunningApp, TestClient } from '../helper.js'

// the paged listing of 100,000 topics is in topic-listing.long.ts (npm run test:long)
t.setTimeout(300_000)

/** POSTs a booking with an Idempotency-Key and resolves with status and body. */
async function post (url: string, topic: string, message: string, key?: string): Promise<{ status: number, body: any }> {
  const headers: Record<string, string> = { 'content-type': 'text/plain' }
  if (key !== undefined) headers['idempotency-key'] = key
  const response = await fetch(`${url}/publish/${topic}`, { method: 'POST', body: message, headers })
  return { status: response.status, body: await response.json() }
}

const scenarios: Array<{ name: string, run: (t: Test, app: RunningApp) => Promise<void> }> = [
  {
    name: 'wildcards: * is one segment, > one or more, each publish once per connection, the concrete topic delivered',
    run: async (t, { url, wsUrl }) => {
      const overlapping = await TestClient.connect(t, wsUrl)
      const oneSegment = await TestClient.connect(t, wsUrl)
      const publisher = await TestClient.connect(t, wsUrl)
      for (const topic of ['zoo.*.booked', 'zoo.>', 'zoo.north.booked']) {
        const reply = await overlapping.request({ action: 'subscribe', topic })
        t.match(reply, { action: 'subscribed', topic })
        t.equal('offset' in reply, topic === 'zoo.north.booked', 'a position for a topic, none for a pattern')
      }
      t.match(await oneSegment.request({ action: 'subscribe', topic: 'zoo.*' }), { action: 'subscribed', topic: 'zoo.*' })
      for (const topic of ['zoo.north.booked', 'zoo.south.booked', 'zoo', 'zoo.east', 'zoo.north.paid.late', 'park.north.booked', 'zoo.end']) {
        t.match(await publisher.request({ action: 'publish', topic, message: topic }), { action: 'published', topic })
      }
      await overlapping.waitFor((f) => f.message === 'zoo.end')
      await oneSegment.waitFor((f) => f.message === 'zoo.end')
      t.same(overlapping.published.map((f) => f.topic), ['zoo.north.booked', 'zoo.south.booked', 'zoo.east', 'zoo.north.paid.late', 'zoo.end'],
        'each matching publish once, though three subscriptions match zoo.north.booked; zoo alone is not matched by zoo.>')
      t.same(overlapping.published.map((f) => f.message), overlapping.published.map((f) => f.topic), 'each frame carries its concrete topic')
      t.match(overlapping.published[0], { offset: 1, epoch: String }, 'with the topic\'s position')
      t.same(oneSegment.published.map((f) => f.topic), ['zoo.east', 'zoo.end'], '* matches exactly one segment')

      const listed = await getJson(`${url}/topics?prefix=zoo.`)
      t.match(listed.topics.find((s: any) => s.topic === 'zoo.*'), { subscribers: 1 }, 'a pattern\'s subscribers are counted under the pattern')
      t.match(listed.topics.find((s: any) => s.topic === 'zoo.>'), { subscribers: 1, published: 0 })

      t.match(await overlapping.request({ action: 'unsubscribe', topic: 'zoo.>' }), { action: 'unsubscribed', topic: 'zoo.>' })
      await oneSegment.request({ action: 'unsubscribe', topic: 'zoo.*' })
      await publisher.request({ action: 'publish', topic: 'zoo.west', message: 'after' })
      await publisher.request({ action: 'publish', topic: 'zoo.west.booked', message: 'last' })
      await overlapping.waitFor((f) => f.message === 'last')
      t.notOk(overlapping.published.some((f) => f.message === 'after'), 'an unsubscribed pattern delivers no more')
      t.notOk((await getJson(`${url}/topics?prefix=zoo.`)).topics.some((s: any) => s.topic === 'zoo.*'), 'nor is listed')
    }
  },
  {
    name: 'wildcards: since is refused, bad patterns are refused, publish names a topic',
    run: async (t, { wsUrl }) => {
      const client = await TestClient.connect(t, wsUrl)
      t.match(await client.request({ action: 'subscribe', topic: 'zoo.*', since: { offset: 1, epoch: 'x' } }),
        { action: 'error', code: 'invalid_request', error: /"zoo\.\*" with since: positions are per topic/ })
      t.match(await client.request({ action: 'subscribe', topic: 'zoo.>.booked' }), { action: 'error', code: 'invalid_topic', error: /> \(one or more\)/ })
      t.match(await client.request({ action: 'subscribe', topic: 'zoo.*x' }), { action: 'error', code: 'invalid_topic' })
      t.match(await client.request({ action: 'publish', topic: 'zoo.*', message: 1 }), { action: 'error', code: 'invalid_topic', error: /publish to a topic/ })
      t.match(await client.request({ action: 'subscribe', topic: '>' }), { action: 'subscribed', topic: '>' }, 'the connection still serves')
    }
  },
  {
    name: 'idempotent publish: a repeated key publishes nothing and answers as the first, over HTTP and the socket',
    run: async (t, { url, wsUrl }) => {
      const subscriber = await TestClient.connect(t, wsUrl)
      await subscriber.request({ action: 'subscribe', topic: 'booked' })
      const first = await post(url, 'booked', 'b1', 'booking-2199')
      t.match(first, { status: 200, body: { topic: 'booked', offset: 1, epoch: String, subscribers: 1 } })
      t.same(await post(url, 'booked', 'b1 retried', 'booking-2199'), first, 'the retry gets the first answer')
      t.match(await post(url, 'paid', 'p1', 'booking-2199'), { status: 200, body: { topic: 'paid', offset: 1 } }, 'a key is per topic')
      t.match(await post(url, 'booked', 'b2'), { status: 200, body: { offset: 2 } }, 'without a key, every POST publishes')
      t.match(await post(url, 'booked', 'x', 'k'.repeat(129)), { status: 400, body: { message: /idempotency-key/ } }, 'a key over 128 characters')

      const socket = await TestClient.connect(t, wsUrl)
      const reply = await socket.request({ action: 'publish', topic: 'booked', message: 's1', key: 'socket-1' })
      t.match(reply, { action: 'published', offset: 3 })
      const again = await socket.request({ action: 'publish', topic: 'booked', message: 's1 again', key: 'socket-1' })
      t.same({ ...again, id: reply.id }, reply, 'the socket\'s repeat gets the first reply')
      t.match(await socket.request({ action: 'publish', topic: 'booked', message: 1, key: '' }), { action: 'error', code: 'invalid_request', error: /"key"/ })
      await socket.request({ action: 'publish', topic: 'booked', message: 'end' })
      await subscriber.waitFor((f) => f.message === 'end')
      t.same(subscriber.published.map((f) => f.message), ['b1', 'b2', 's1', 'end'], 'each keyed booking delivered once')
      t.match(await getJson(`${url}/topics/booked`), { published: 4 })
    }
  }
]

for (const mode of MODES) {
  for (const scenario of scenarios) {
    t.test(`${mode.name}: ${scenario.name}`, async (t) => scenario.run(t, await mode.start(t)))
  }
}
