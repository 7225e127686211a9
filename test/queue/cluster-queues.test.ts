/** Work queues shared by instances through Redis: wake-ups across instances, consumers counted cluster-wide, Redis down. */
import t from 'tap'
import { eventually, startApp, TestClient } from '../helper.js'
import { RedisServer } from '../redis-server.js'
import { InstanceProcess } from '../instance-process.js'
import { call, QueueClient } from './http.js'

// one case starts a server process, slow on a busy 2-core machine
t.setTimeout(120_000)

t.test('a long-poll on one instance is answered at once by a job enqueued on another', async (t) => {
  const redis = await RedisServer.start(t)
  const a = new QueueClient((await startApp(t, { REDIS_URL: redis.url, INSTANCE_ID: 'a' })).url)
  const b = new QueueClient((await startApp(t, { REDIS_URL: redis.url, INSTANCE_ID: 'b' })).url)
  await b.enqueue('opens the queue')
  const [first] = await a.claim()
  await a.ack(first.job, first.receipt)
  const claim = a.claim({ waitMs: 20_000 })
  await eventually(async () => (await b.stats()).body.consumers === 1, 'b counts the claim waiting on a', 5000)
  const started = Date.now()
  const { job } = (await b.enqueue('second')).body
  const [claimed] = await claim
  const ms = Date.now() - started
  t.equal(claimed.job, job)
  t.ok(ms < 1000, `answered ${ms} ms after the enqueue on the other instance`)
  t.match((await a.job(job)).body, { state: 'active' }, 'both instances see the same job')
  t.match(await b.ack(job, claimed.receipt, 'ok'), { status: 200 }, 'acked on the other instance')
})

t.test('a batch ack on one instance tells each producer on another of its job, through one events message', async (t) => {
  const redis = await RedisServer.start(t)
  const a = await startApp(t, { REDIS_URL: redis.url, INSTANCE_ID: 'a' })
  const b = await startApp(t, { REDIS_URL: redis.url, INSTANCE_ID: 'b' })
  const events: string[] = []
  const watcher = redis.client(t)
  watcher.on('message', (_channel: string, message: string) => events.push(message))
  await watcher.subscribe('proxyer:q:events')
  const producers = await Promise.all(Array.from({ length: 20 }, async () => TestClient.connect(t, b.wsUrl)))
  const enqueued = await Promise.all(producers.map(async (p, i) => p.request({ action: 'enqueue', queue: 'bookings', message: { seat: i } })))
  const held = await new QueueClient(a.url).claim({ max: 20 })
  t.equal(held.length, 20)
  const acked = await call(`${a.url}/queues/bookings/ack`, 'POST', { jobs: held.map(({ job, receipt }) => ({ job, receipt, result: { ticket: job } })) })
  t.ok(acked.body.results.every((r: { status: number }) => r.status === 200), 'all acked')
  await Promise.all(producers.map(async (p, i) => {
    const done = await p.waitFor((f) => f.action === 'done')
    t.same(done, { action: 'done', queue: 'bookings', job: enqueued[i].job, result: { ticket: enqueued[i].job } })
  }))
  await watcher.ping()
  t.equal(events.length, 1, 'the 20 outcomes crossed Redis in one message')
  t.equal((JSON.parse(events[0]) as unknown[]).length, 20)
})

t.test('one Idempotency-Key POSTed to two instances at the same moment queues one job', async (t) => {
  const redis = await RedisServer.start(t)
  const a = new QueueClient((await startApp(t, { REDIS_URL: redis.url, INSTANCE_ID: 'a' })).url)
  const b = new QueueClient((await startApp(t, { REDIS_URL: redis.url, INSTANCE_ID: 'b' })).url)
  for (let round = 0; round < 5; round++) {
    const replies = await Promise.all([a, b, a, b].map(async (q) => q.enqueue({ round }, `retry-${round}`)))
    t.same(new Set(replies.map((r) => `${r.status} ${JSON.stringify(r.body)}`)).size, 1, `round ${round}: one reply, one job`)
  }
  t.match((await b.stats()).body, { enqueued: 5, waiting: 5 })
})

t.test('the consumers of a killed instance leave the count within INSTANCE_TTL_MS; its held job comes back', async (t) => {
  const redis = await RedisServer.start(t)
  const shared = { REDIS_URL: redis.url, INSTANCE_TTL_MS: 600 }
  const survivor = new QueueClient((await startApp(t, { ...shared, INSTANCE_ID: 'survivor' })).url)
  const doomed = await InstanceProcess.start(t, { ...shared, INSTANCE_ID: 'doomed' }, { startTimeoutMs: 45_000 })
  const victim = new QueueClient(doomed.url)
  const { job } = (await survivor.enqueue('held by the doomed worker')).body
  await victim.claim({ visibilityMs: 500 })
  const waiting = victim.claim({ waitMs: 30_000 }).catch(() => [])
  await eventually(async () => (await survivor.stats()).body.consumers === 1, 'the waiting claim on the doomed instance is counted')
  doomed.kill('SIGKILL')
  const killedAt = Date.now()
  await eventually(async () => (await survivor.stats()).body.consumers === 0, 'the count drops', 5000)
  t.ok(Date.now() - killedAt < 600 + 500, `left the count ${Date.now() - killedAt} ms after the kill`)
  await waiting
  const [again] = await survivor.claim({ waitMs: 5000 })
  t.match(again, { job, attempt: 2 }, 'nothing lost: the job held on the killed instance is handed out again')
})

t.test('while Redis is down the queues answer 503 and lose nothing acknowledged', async (t) => {
  const redis = await RedisServer.start(t)
  const { url } = await startApp(t, { REDIS_URL: redis.url })
  const q = new QueueClient(url)
  const { job } = (await q.enqueue('kept')).body
  await redis.kill()
  const refused = await q.enqueue('refused')
  t.equal(refused.status, 503)
  t.equal(refused.headers.get('retry-after'), '1')
  t.equal((await call(`${url}/queues/bookings/claim`, 'POST', {})).status, 503)
  t.equal((await q.job(job)).status, 503)
  t.equal((await call(`${url}/queues`, 'GET')).status, 503)
})

t.test('a socket consumer that starts while Redis is down keeps trying, and takes the first job once it is back', async (t) => {
  const redis = await RedisServer.start(t)
  const { url, wsUrl } = await startApp(t, { REDIS_URL: redis.url })
  const q = new QueueClient(url)
  await redis.kill()
  const worker = await TestClient.connect(t, wsUrl)
  t.match(await worker.request({ action: 'consume', queue: 'bookings', prefetch: 1 }), { action: 'consuming' }, 'taken while Redis is away')
  await redis.restart()
  let job: string | undefined
  await eventually(async () => {
    const reply = await q.enqueue('after the outage')
    job = reply.body.job
    return reply.status === 201
  }, 'an enqueue taken again', 20_000)
  t.match(await worker.waitFor((f) => f.action === 'job'), { action: 'job', job, message: 'after the outage', attempt: 1 })
})
