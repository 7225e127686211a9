/**
 * A Redis Cluster master killed under publishing load (3 masters, 3 replicas): proxyer follows the promoted
 * replica by itself, publishes during the failover are refused (503/504), not accepted and lost, /ready says 503
 * meanwhile, and every accepted message reaches the subscribers once, or they are told (`resumed`, recovered:false).
 * A publish answered 504 (outcome unknown) may have been stored: the replay may hold it; one answered 503 never.
 */
import t from 'tap'
import { eventually, postText, startApp, TestClient } from '../helper.js'
import { RedisCluster } from '../redis-cluster.js'

t.test('a master killed under publishing load: refusals not losses, and the subscribers get every accepted message once', async (t) => {
  const cluster = await RedisCluster.start(t)
  const shared = { REDIS_CLUSTER_NODES: cluster.seeds, REDIS_COMMAND_TIMEOUT_MS: 1000, INSTANCE_TTL_MS: 1500 }
  const a = await startApp(t, { ...shared, INSTANCE_ID: 'a' })
  const b = await startApp(t, { ...shared, INSTANCE_ID: 'b' })
  const subscriber = await TestClient.connect(t, a.wsUrl)
  const first = await subscriber.request({ action: 'subscribe', topic: 'booked' })
  const owner = await cluster.masterOf('proxyer:{booked}')

  const accepted: string[] = []
  const refused: number[] = []
  /** Messages whose publish got no definite answer (504, or a cut connection): stored or not. */
  const unknown: string[] = []
  const readiness = new Set<number>()
  const state = { stop: false }
  let killedAt = 0
  let acceptedBeforeKill = 0
  const publishing = (async () => {
    for (let i = 0; !state.stop; i++) {
      const res = await postText(b.url, 'booked', `m${i}`).catch(() => undefined)
      if (res?.status === 200) accepted.push(`m${i}`)
      else refused.push(res?.status ?? 0)
      if (res === undefined || res.status === 504) unknown.push(`m${i}`)
      await res?.arrayBuffer()
    }
  })()
  const watching = (async () => {
    while (!state.stop) readiness.add((await fetch(`${b.url}/ready`).then(async (r) => { await r.arrayBuffer(); return r.status }, () => 0)))
  })()

  await eventually(() => accepted.length >= 30, 'publishes flow before the kill')
  acceptedBeforeKill = accepted.length
  killedAt = Date.now()
  await cluster.killMaster(owner)
  const promotedAt = Date.now()
  await eventually(() => accepted.length >= acceptedBeforeKill + 30, 'publishes are accepted again after the failover', 30_000)
  const backAt = Date.now()
  state.stop = true
  await Promise.all([publishing, watching])
  t.comment(`replica promoted ${promotedAt - killedAt} ms after the kill; publishes accepted again ${backAt - killedAt} ms after; ` +
    `${accepted.length} accepted, ${refused.length} refused (${[...new Set(refused)].join(', ')}); /ready answered ${[...readiness].join(', ')}`)
  t.ok(refused.every((status) => status === 503 || status === 504), 'a publish during the failover is refused with 503 or 504')
  t.ok(readiness.has(503), '/ready answered 503 while the master was down')
  await eventually(async () => {
    const res = await fetch(`${b.url}/ready`)
    await res.arrayBuffer()
    return res.status === 200
  }, '/ready answers 200 again after the failover')

  // a last message after everything: once it arrives, every earlier delivery has
  await postText(b.url, 'booked', 'last')
  await subscriber.waitFor((f) => f.message === 'last', 30_000)
  const got = subscriber.published.map((f) => f.message)
  const resumed = subscriber.frames.filter((f) => f.action === 'resumed')
  /** Answered 200, or the closing message. */
  const sure = (message: unknown): boolean => accepted.includes(message as string) || message === 'last'
  /** Neither sure nor of unknown outcome: refused with 503, so it reached nobody. */
  const refusedOutright = (message: unknown): boolean => !sure(message) && !unknown.includes(message as string)
  t.equal(new Set(got).size, got.length, 'no message delivered twice')
  t.same(got.filter(refusedOutright), [], 'a publish refused with 503 reached nobody')
  const missing = accepted.filter((message) => !got.includes(message))
  t.comment(`${missing.length} accepted messages not delivered; ${resumed.length} resumed notices`)
  t.ok(missing.length === 0 || resumed.length > 0, 'every accepted message was delivered, or the subscriber was told its history was lost')
  t.same(got.filter((message) => accepted.includes(message)), accepted.filter((message) => got.includes(message)), 'in the order they were accepted')

  // a subscriber coming back with since recovers, or is told it cannot
  const back = await TestClient.connect(t, a.wsUrl)
  const reply = await back.request({ action: 'subscribe', topic: 'booked', since: { offset: first.offset, epoch: first.epoch } })
  t.equal(reply.action, 'subscribed')
  t.comment(`recovery with since from before the kill: recovered ${String(reply.recovered)}, ${back.published.length} messages replayed`)
  if (reply.recovered === true) {
    const replayed = back.published.map((f) => f.message)
    t.same(replayed.filter(sure), got.filter(sure), 'the replay holds every accepted message, in order')
    t.same(replayed.filter(refusedOutright), [], 'anything else replayed was answered 504 (outcome unknown), never 503')
  }
  t.equal((await fetch(`${a.url}/ready`)).status, 200, '/ready after the failover')
})
