/**
 * The Redis Cluster engine (REDIS_CLUSTER_NODES) against a real local cluster: two instances share topics
 * spread over every shard, each message once and in order, with figures, history, recovery and /ready.
 */
import t from 'tap'
import { eventually, getJson, pollJson, postText, REDIS_CLUSTER, startApp, TestClient } from '../helper.js'
import { RedisCluster } from '../redis-cluster.js'

/** Topics whose hash tags fall on each of the three shards (checked below with CLUSTER KEYSLOT). */
const TOPICS = ['booked', 'visits', 'gates', 'seats', 'tickets', 'queue.a', 'queue.b', 'room-1', 'room-2']

t.test('two instances on a Redis Cluster: each message once and in order, over topics on every shard', async (t) => {
  const cluster = await RedisCluster.start(t, { replicas: 0 })
  const shared = { REDIS_CLUSTER_NODES: cluster.seeds, INSTANCE_TTL_MS: 1500 }
  const a = await startApp(t, { ...shared, INSTANCE_ID: 'a' })
  const b = await startApp(t, { ...shared, INSTANCE_ID: 'b' })

  const masters = new Set<number>()
  for (const topic of TOPICS) masters.add((await cluster.masterOf(`proxyer:{${topic}}`)).port)
  t.equal(masters.size, 3, 'the topics live on all three shards')

  const onA = await TestClient.connect(t, a.wsUrl)
  const onB = await TestClient.connect(t, b.wsUrl)
  for (const topic of TOPICS) {
    t.match(await onA.request({ action: 'subscribe', topic }), { action: 'subscribed', topic, offset: 0 })
    await onB.request({ action: 'subscribe', topic })
  }
  // each topic's channel is SSUBSCRIBEd on its own shard only
  const owner = await cluster.masterOf('proxyer:{booked}')
  for (const node of cluster.nodes) {
    const listed = await node.command('PUBSUB', 'SHARDCHANNELS')
    t.equal(listed.includes('proxyer:{booked}'), node === owner, `node ${node.port} ${node === owner ? 'holds' : 'does not hold'} the channel of booked`)
  }

  const http = await postText(b.url, 'booked', 'over http')
  t.match(await http.json(), { topic: 'booked', subscribers: 2, offset: 1 }, 'B counts the subscribers on both instances')
  const publisher = await TestClient.connect(t, b.wsUrl)
  for (let i = 0; i < 50; i++) {
    for (const topic of TOPICS) publisher.send({ action: 'publish', topic, message: i })
  }
  await publisher.sync()
  t.notOk(publisher.frames.some((f) => f.action === 'error'), 'no publish refused')
  for (const client of [onA, onB]) {
    for (const topic of TOPICS) await client.waitFor((f) => f.topic === topic && f.message === 49)
    for (const topic of TOPICS) {
      const got = client.published.filter((f) => f.topic === topic)
      const expected = Array.from({ length: 50 }, (_, i) => i)
      if (topic === 'booked') expected.unshift('over http' as unknown as number)
      t.same(got.map((f) => f.message), expected, `${topic}: each message once, in order`)
      t.same(got.map((f) => f.offset), expected.map((_, i) => i + 1), `${topic}: offsets one by one`)
    }
  }

  t.match(await getJson(`${a.url}/topics/booked`), { topic: 'booked', subscribers: 2, published: 51 }, 'figures of one topic, from its shard and the instances')
  // deliveries are counted in the figures at each instance's next heartbeat
  const complete = (listed: any[]): boolean => listed.length === TOPICS.length && listed.every((s) => s.subscribers === 2 && s.published >= 50 && s.delivered >= 100)
  await eventually(async () => complete((await pollJson(`${b.url}/topics`))?.topics ?? []), '/topics lists every topic, from every shard, with its summed figures')
  t.same((await getJson(`${b.url}/topics`)).topics.map((s: any) => s.topic).sort(), [...TOPICS].sort(), 'every topic listed')
  await eventually(async () => (await pollJson(`${a.url}/cluster`))?.instances.length === 2, '/cluster lists both instances')
  t.equal((await fetch(`${a.url}/ready`)).status, 200, '/ready')

  // a topic that fell quiet: its subscribers leave and the publish reply says so
  await onA.request({ action: 'unsubscribe', topic: 'gates' })
  await onB.request({ action: 'unsubscribe', topic: 'gates' })
  t.match(await publisher.request({ action: 'publish', topic: 'gates', message: 'alone' }), { action: 'published', subscribers: 0, offset: 51 })
})

t.test('history and recovery with since on a Redis Cluster; patterns are refused with a clear error', async (t) => {
  const { url, wsUrl } = await REDIS_CLUSTER.start(t)
  const publisher = await TestClient.connect(t, wsUrl)
  for (let i = 1; i <= 5; i++) await publisher.request({ action: 'publish', topic: 'seats', message: `m${i}` })
  const history = await getJson(`${url}/topics/seats/history?since=2`)
  t.same(history.messages.map((m: any) => m.message), ['m3', 'm4', 'm5'], 'the history after an offset')
  const { epoch } = history

  const late = await TestClient.connect(t, wsUrl)
  t.match(await late.request({ action: 'subscribe', topic: 'seats', since: { offset: 3, epoch } }),
    { action: 'subscribed', topic: 'seats', offset: 5, epoch, recovered: true })
  await publisher.request({ action: 'publish', topic: 'seats', message: 'm6' })
  await late.waitFor((f) => f.message === 'm6')
  t.same(late.published.map((f) => f.message), ['m4', 'm5', 'm6'], 'the missed ones, then the live one, each once')
  t.match(await late.request({ action: 'subscribe', topic: 'tickets', since: { offset: 3, epoch: 'gone' } }), { recovered: false })

  t.match(await late.request({ action: 'subscribe', topic: 'seats.*' }),
    { action: 'error', code: 'invalid_request', error: /Patterns .* cannot be subscribed on a Redis Cluster/ })
  t.match(await getJson(`${url}/topics?limit=2`), { topics: [{ topic: 'seats', published: 6 }, { topic: 'tickets', published: 0 }] }, 'the paged listing')
})
