/** The deployed topology: Debian's nginx with deploy/nginx.conf in front of two instance processes sharing a Redis. */
import t from 'tap'
import { eventually, getJson, postText, TestClient } from '../helper.js'
import { InstanceProcess } from '../instance-process.js'
import { startNginx } from '../nginx.js'
import { RedisServer } from '../redis-server.js'

// two instance processes and nginx (250 s under a load of 25 on 2 cores when tsx compiled each instance as it started)
t.setTimeout(300_000)

t.test('every subscriber behind nginx gets every booking posted through nginx, once and in order, whichever instance each lands on', async (t) => {
  const redis = await RedisServer.start(t)
  const shared = { REDIS_URL: redis.url, INSTANCE_TTL_MS: 1500 }
  const [a, b] = await Promise.all([
    InstanceProcess.start(t, { ...shared, INSTANCE_ID: 'a' }),
    InstanceProcess.start(t, { ...shared, INSTANCE_ID: 'b' })
  ])
  const front = await startNginx(t, [a.port, b.port])
  const frontWs = `${front.replace('http', 'ws')}/message`

  const subscribers: TestClient[] = []
  for (let i = 0; i < 6; i++) {
    const client = await TestClient.connect(t, frontWs)
    t.match(await client.request({ action: 'subscribe', topic: 'booked' }), { action: 'subscribed', topic: 'booked' }, `subscriber ${i} is subscribed`)
    subscribers.push(client)
  }

  // round robin spread the sockets: each instance, asked directly, holds some of them
  const connectionsOf = async (instance: InstanceProcess): Promise<number> =>
    (await getJson(`${instance.url}/cluster`)).instances.find((i: any) => i.self === true)?.connections ?? 0
  await eventually(async () => (await connectionsOf(a)) + (await connectionsOf(b)) === 6, 'both instances report their connections')
  const [onA, onB] = [await connectionsOf(a), await connectionsOf(b)]
  t.comment(`instance a holds ${onA} sockets, instance b ${onB}`)
  t.ok(onA > 0, 'instance a holds some of the subscribers')
  t.ok(onB > 0, 'instance b holds some of the subscribers')
  t.match(await getJson(`${front}/topics/booked`), { subscribers: 6 }, 'the cluster figures, asked through nginx, count all of them')

  // the POSTs alternate between the instances too, so bookings enter the cluster on both sides
  const bookings = Array.from({ length: 6 }, (_, i) => `1673254205340:2199:${32925 + i}:en00030`)
  for (const booking of bookings) {
    const res = await postText(front, 'booked', booking)
    t.equal(res.status, 200, 'the POST is accepted')
    t.match(await res.json(), { topic: 'booked', subscribers: 6 }, 'each booking reaches the six subscribers')
  }

  // a last message, after all the bookings: once it is in, a second copy of any booking would be too
  t.equal((await postText(front, 'booked', 'last')).status, 200)
  for (const client of subscribers) await client.waitFor((f) => f.message === 'last')
  for (const [i, client] of subscribers.entries()) {
    t.same(client.deliveries.map((f) => f.message), [...bookings, 'last'], `subscriber ${i} got each booking once, in order`)
  }
  t.match(await getJson(`${front}/topics/booked`), { published: 7 }, 'published counted once per message')
})
