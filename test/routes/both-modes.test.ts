/** The socket scenarios every user meets, run from one table of cases in embedded and in Redis mode alike. */
import t, { type Test } from 'tap'
import { getJson, MODES, postText, publish, type RunningApp, TestClient } from '../helper.js'

// real servers on a 2-core machine other jobs share: past 120 s measured under a load of 20
t.setTimeout(300_000)

const BOOKING = '1673254205340:2199:32925:en00030'

interface Scenario {
  name: string
  run: (t: Test, app: RunningApp) => Promise<void>
}

const scenarios: Scenario[] = [
  {
    name: 'publish, then a plain subscribe to the topic that now has history',
    run: async (t, { url, wsUrl }) => {
      const posted = await postText(url, 'booked', BOOKING)
      t.equal(posted.status, 200)
      const client = await TestClient.connect(t, wsUrl)
      t.match(await client.request({ action: 'subscribe', topic: 'booked' }), { action: 'subscribed', topic: 'booked', offset: 1, epoch: String },
        'the subscribe succeeds and says where the topic stands')
      await client.request({ action: 'publish', topic: 'booked', message: 'next' })
      await client.waitFor((f) => f.action === 'publish')
      t.same(client.deliveries, [{ action: 'publish', topic: 'booked', message: 'next' }], 'only the new booking is delivered')
    }
  },
  {
    name: 'subscribe, then publish over the socket and over HTTP',
    run: async (t, { url, wsUrl }) => {
      const subscriber = await TestClient.connect(t, wsUrl)
      const publisher = await TestClient.connect(t, wsUrl)
      await subscriber.request({ action: 'subscribe', topic: 'booked' })
      t.match(await publisher.request({ action: 'publish', topic: 'booked', message: BOOKING }), { action: 'published', subscribers: 1, offset: 1 })
      await publish(url, 'booked', { by: 'http' })
      await subscriber.waitFor((f) => f.message?.by === 'http')
      t.same(subscriber.deliveries, [
        { action: 'publish', topic: 'booked', message: BOOKING },
        { action: 'publish', topic: 'booked', message: { by: 'http' } }
      ])
    }
  },
  {
    name: 'resubscribe with since: the missed bookings, then live ones',
    run: async (t, { wsUrl }) => {
      const first = await TestClient.connect(t, wsUrl)
      const { epoch } = await first.request({ action: 'subscribe', topic: 'booked' })
      await first.request({ action: 'publish', topic: 'booked', message: 'seen' })
      first.socket.close()
      const publisher = await TestClient.connect(t, wsUrl)
      await publisher.request({ action: 'publish', topic: 'booked', message: 'missed' })
      const again = await TestClient.connect(t, wsUrl)
      t.match(await again.request({ action: 'subscribe', topic: 'booked', since: { offset: 1, epoch } }), { action: 'subscribed', offset: 2, recovered: true })
      await publisher.request({ action: 'publish', topic: 'booked', message: 'live' })
      await again.waitFor((f) => f.message === 'live')
      t.same(again.published.map((f) => [f.offset, f.message]), [[2, 'missed'], [3, 'live']], 'each once, in offset order')
    }
  },
  {
    name: 'unsubscribe, then subscribe again to a topic with history',
    run: async (t, { wsUrl }) => {
      const client = await TestClient.connect(t, wsUrl)
      await client.request({ action: 'subscribe', topic: 'booked' })
      await client.request({ action: 'publish', topic: 'booked', message: 1 })
      // in Redis mode the delivery comes through pub/sub and may follow the publish's reply
      await client.waitFor((f) => f.message === 1)
      await client.request({ action: 'unsubscribe', topic: 'booked' })
      t.match(await client.request({ action: 'subscribe', topic: 'booked' }), { action: 'subscribed', offset: 1 })
      await client.request({ action: 'publish', topic: 'booked', message: 2 })
      await client.waitFor((f) => f.message === 2)
      t.same(client.deliveries.map((f) => f.message), [1, 2])
    }
  },
  {
    name: 'figures count the subscriber and the messages',
    run: async (t, { url, wsUrl }) => {
      const client = await TestClient.connect(t, wsUrl)
      await client.request({ action: 'publish', topic: 'booked', message: 1 })
      await client.request({ action: 'subscribe', topic: 'booked' })
      await client.request({ action: 'publish', topic: 'booked', message: 2 })
      await client.waitFor((f) => f.message === 2)
      t.match(await getJson(`${url}/topics/booked`), { topic: 'booked', subscribers: 1, published: 2 })
      t.match((await getJson(`${url}/topics/booked/history`)).messages.map((m: { message: unknown }) => m.message), [1, 2])
    }
  },
  {
    name: 'history from the end: the newest N bookings, in order',
    run: async (t, { url }) => {
      for (let i = 1; i <= 5; i++) {
        await fetch(`${url}/publish/booked`, { method: 'POST', body: `booking ${i}`, headers: { 'content-type': 'text/plain' } })
      }
      const offsets = async (query: string): Promise<number[]> =>
        (await getJson(`${url}/topics/booked/history?${query}`)).messages.map((m: { offset: number }) => m.offset)
      t.same(await offsets('last=2'), [4, 5], 'the newest two, oldest of them first')
      t.same(await offsets('limit=2'), [1, 2], 'limit still gives the oldest first')
      t.same(await offsets('last=10'), [1, 2, 3, 4, 5], 'fewer kept than asked: all of them')
      t.same(await offsets('last=3&since=3'), [4, 5], 'the newest after since')
      t.match(await getJson(`${url}/topics/booked/history?last=2`), { topic: 'booked', offset: 5, messages: [{ message: 'booking 4' }, { message: 'booking 5' }] })
      t.equal((await fetch(`${url}/topics/booked/history?last=0`)).status, 400, 'last=0 is refused')
    }
  }
]

for (const mode of MODES) {
  for (const scenario of scenarios) {
    t.test(`${mode.name}: ${scenario.name}`, async (t) => scenario.run(t, await mode.start(t)))
  }
}
