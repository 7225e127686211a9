/** The work queues over the socket (producers, watchers and consumers), run from one table in embedded and in Redis mode. */
import t, { type Test } from 'tap'
import { type Env, eventually, MODES, type RunningApp, TestClient } from '../helper.js'
import { QueueClient } from './http.js'

// real servers on a 2-core machine other jobs share: past 120 s measured under a load of 20
t.setTimeout(300_000)

interface Scenario {
  name: string
  env?: Env
  run: (t: Test, app: RunningApp, q: QueueClient) => Promise<void>
}

/** Positions go out fast here, and nothing lapses by itself: a job that comes back was returned, not timed out. */
const FAST = { POSITION_INTERVAL_MS: 50, JOB_VISIBILITY_MS: 60_000 }

const scenarios: Scenario[] = [
  {
    name: 'enqueue without an id gets its receipt, places go down, the worker acks and the producer gets the result',
    env: FAST,
    run: async (t, { wsUrl }) => {
      const first = await TestClient.connect(t, wsUrl)
      const second = await TestClient.connect(t, wsUrl)
      first.send({ action: 'enqueue', queue: 'bookings', message: { visitor: 2199 } })
      const a = await first.waitFor((f) => f.action === 'enqueued')
      t.match(a, { queue: 'bookings', job: /^[A-Za-z0-9_-]{22}$/, position: 1 })
      t.notOk('id' in a, 'no id was sent, none comes back')
      const b = await second.request({ action: 'enqueue', queue: 'bookings', message: { visitor: 2200 } })
      t.match(b, { action: 'enqueued', queue: 'bookings', position: 2 })

      const worker = await TestClient.connect(t, wsUrl)
      t.match(await worker.request({ action: 'consume', queue: 'bookings', prefetch: 1 }), { action: 'consuming', id: String, queue: 'bookings', prefetch: 1 })
      const job = await worker.waitFor((f) => f.action === 'job')
      t.same(job, { action: 'job', queue: 'bookings', job: a.job, message: { visitor: 2199 }, attempt: 1 }, 'the first in line, and only one (prefetch 1)')
      t.same(await first.waitFor((f) => f.action === 'position'), { action: 'position', queue: 'bookings', job: a.job, position: 0 }, 'held: place 0')
      t.same(await second.waitFor((f) => f.action === 'position'), { action: 'position', queue: 'bookings', job: b.job, position: 1 }, 'one place forward')
      await worker.sync()
      t.equal(worker.frames.filter((f) => f.action === 'job').length, 1, 'no second job past the prefetch')

      worker.send({ action: 'ack', queue: 'bookings', job: a.job, result: { ticket: 32925 } })
      t.same(await first.waitFor((f) => f.action === 'done'), { action: 'done', queue: 'bookings', job: a.job, result: { ticket: 32925 } })
      const next = await worker.waitFor((f) => f.action === 'job' && f.job === b.job)
      t.equal(next.attempt, 1)
      t.match(await worker.request({ action: 'ack', queue: 'bookings', job: b.job }), { action: 'acked', queue: 'bookings', job: b.job })
      t.same(await second.waitFor((f) => f.action === 'done'), { action: 'done', queue: 'bookings', job: b.job, result: null })
      t.notOk(worker.frames.some((f) => f.action === 'acked' && f.id === undefined), 'an ack without an id is not answered')
    }
  },
  {
    name: 'the last attempt nacked: the producer is told it failed, with the worker\'s error',
    env: { ...FAST, JOB_MAX_ATTEMPTS: 2 },
    run: async (t, { wsUrl }) => {
      const producer = await TestClient.connect(t, wsUrl)
      const worker = await TestClient.connect(t, wsUrl)
      const { job } = await producer.request({ action: 'enqueue', queue: 'bookings', message: 'sold out?' })
      worker.send({ action: 'consume', queue: 'bookings', prefetch: 5 })
      await worker.waitFor((f) => f.action === 'job' && f.attempt === 1)
      t.match(await worker.request({ action: 'nack', queue: 'bookings', job, error: 'try again' }), { action: 'nacked', job })
      await worker.waitFor((f) => f.action === 'job' && f.attempt === 2)
      worker.send({ action: 'nack', queue: 'bookings', job, error: 'sold out' })
      t.same(await producer.waitFor((f) => f.action === 'failed'), { action: 'failed', queue: 'bookings', job, error: 'sold out', attempts: 2 })
    }
  },
  {
    name: 'watch re-attaches: the current state at once with the id, then the updates; unknown jobs are refused',
    env: FAST,
    run: async (t, { wsUrl }, q) => {
      const { job } = (await q.enqueue('mine')).body
      await q.enqueue('behind')
      const watcher = await TestClient.connect(t, wsUrl)
      t.match(await watcher.request({ action: 'watch', queue: 'bookings', job }), { action: 'position', id: String, queue: 'bookings', job, position: 1 })
      const [claimed] = await q.claim()
      t.equal(claimed.job, job)
      await watcher.waitFor((f) => f.action === 'position' && f.position === 0)
      await q.ack(job, claimed.receipt, { ticket: 7 })
      await watcher.waitFor((f) => f.action === 'done')
      const late = await TestClient.connect(t, wsUrl)
      t.match(await late.request({ action: 'watch', queue: 'bookings', job }), { action: 'done', job, result: { ticket: 7 } }, 'a finished job answers with its outcome')
      t.match(await late.request({ action: 'watch', queue: 'bookings', job: 'AAAAAAAAAAAAAAAAAAAAAA' }), { action: 'error', code: 'unknown_job' })
      t.match(await late.request({ action: 'watch', queue: 'bookings', job: 'not a job' }), { action: 'error', code: 'unknown_job' })
      t.match(await late.request({ action: 'watch', queue: 'other', job }), { action: 'error', code: 'unknown_job' }, 'a job is known in its own queue only')
    }
  },
  {
    name: 'a consumer killed mid-job: its job goes to the next consumer at once, with attempt 2',
    env: FAST,
    run: async (t, { wsUrl }, q) => {
      const doomed = await TestClient.connect(t, wsUrl)
      doomed.send({ action: 'consume', queue: 'bookings', prefetch: 2 })
      const { job } = (await q.enqueue('held')).body
      await doomed.waitFor((f) => f.action === 'job')
      const other = await TestClient.connect(t, wsUrl)
      await other.request({ action: 'consume', queue: 'bookings', prefetch: 2 })
      const started = Date.now()
      doomed.socket.terminate()
      const again = await other.waitFor((f) => f.action === 'job')
      t.same(again, { action: 'job', queue: 'bookings', job, message: 'held', attempt: 2 })
      t.ok(Date.now() - started < 30_000, 'well before the 60 s visibility could lapse')
      t.match((await q.stats()).body, { active: 1, consumers: 1 }, 'the dead consumer is no longer counted')
    }
  },
  {
    name: 'cancel returns the held jobs to the front of the line and stops deliveries',
    env: FAST,
    run: async (t, { wsUrl }, q) => {
      const worker = await TestClient.connect(t, wsUrl)
      for (const n of [1, 2, 3]) await q.enqueue(n)
      worker.send({ action: 'consume', queue: 'bookings', prefetch: 2 })
      await worker.waitFor((f) => f.action === 'job' && f.message === 2)
      t.match(await worker.request({ action: 'cancel', queue: 'bookings' }), { action: 'cancelled', id: String, queue: 'bookings' })
      t.match((await q.stats()).body, { waiting: 3, active: 0, consumers: 0 })
      t.same((await q.claim({ max: 3 })).map((j) => [j.message, j.attempt]), [[1, 2], [2, 2], [3, 1]], 'in order, the returned ones first')
      t.equal(worker.frames.filter((f) => f.action === 'job').length, 2, 'nothing delivered after the cancel')
      t.match(await worker.request({ action: 'cancel', queue: 'bookings' }), { action: 'cancelled' }, 'cancelling again is harmless')
    }
  },
  {
    name: 'bad queue requests get clear errors and change nothing',
    env: FAST,
    run: async (t, { wsUrl }, q) => {
      const client = await TestClient.connect(t, wsUrl)
      const { job } = (await q.enqueue('x')).body
      t.match(await client.request({ action: 'ack', queue: 'bookings', job }), { action: 'error', code: 'not_held', error: /does not consume/ })
      t.match(await client.request({ action: 'enqueue', queue: 'no..dots', message: 1 }), { action: 'error', code: 'invalid_topic', error: /queue name/ })
      t.match(await client.request({ action: 'consume', queue: 'bookings', prefetch: 0 }), { action: 'error', code: 'invalid_request', error: /prefetch/ })
      t.match(await client.request({ action: 'nack', queue: 'bookings', job, delayMs: -1 }), { action: 'error', code: 'invalid_request', error: /delayMs/ })
      t.match(await client.request({ action: 'consume', queue: 'bookings', prefetch: 1 }), { action: 'consuming', prefetch: 1 })
      t.match(await client.request({ action: 'consume', queue: 'bookings', prefetch: 9 }), { action: 'consuming', prefetch: 1 }, 'consuming again keeps the prefetch in effect')
      await client.waitFor((f) => f.action === 'job')
      t.match(await client.request({ action: 'ack', queue: 'bookings', job: 'not a job' }), { action: 'error', code: 'unknown_job' })
      t.match(await client.request({ action: 'ack', queue: 'bookings', job: 'AAAAAAAAAAAAAAAAAAAAAA' }), { action: 'error', code: 'unknown_job' })
      const { job: other } = (await q.enqueue('y')).body
      t.match(await client.request({ action: 'ack', queue: 'bookings', job: other }), { action: 'error', code: 'not_held' }, 'a job this socket does not hold')
      t.match((await q.job(job)).body, { state: 'active' }, 'the held job is untouched')
      t.match(await client.request({ action: 'ack', queue: 'bookings', job }), { action: 'acked' })
      t.match(await client.request({ action: 'ack', queue: 'bookings', job }), { action: 'error', code: 'not_held' }, 'acked twice')
    }
  },
  {
    name: 'a full queue refuses with queue_full and queues nothing',
    env: { ...FAST, QUEUE_MAX_LENGTH: 1 },
    run: async (t, { wsUrl }, q) => {
      const client = await TestClient.connect(t, wsUrl)
      await client.request({ action: 'enqueue', queue: 'bookings', message: 1 })
      client.send({ action: 'enqueue', queue: 'bookings', message: 2 })
      t.match(await client.waitFor((f) => f.action === 'error'), { code: 'queue_full', error: /full/ }, 'the error comes without an id too')
      t.match((await q.stats()).body, { waiting: 1, enqueued: 1 })
    }
  },
  {
    name: 'a live consuming socket keeps its job past the visibility (renewed), while an HTTP hold as long lapses',
    env: { JOB_VISIBILITY_MS: 1500 },
    run: async (t, { wsUrl }, q) => {
      const kept = (await q.enqueue('kept')).body.job
      const worker = await TestClient.connect(t, wsUrl)
      await worker.request({ action: 'consume', queue: 'bookings', prefetch: 1 })
      await worker.waitFor((f) => f.action === 'job' && f.job === kept)
      const lapsing = (await q.enqueue('lapses')).body.job
      const [claimed] = await q.claim({ visibilityMs: 1500 })
      t.equal(claimed.job, lapsing, 'the socket is full: the HTTP worker gets the second')
      await eventually(async () => (await q.job(lapsing)).body.state === 'waiting', 'the HTTP hold lapsed', 20_000)
      t.match((await q.job(kept)).body, { state: 'active', attempts: 1 }, 'the socket still holds its job, on its first attempt')
      t.match(await worker.request({ action: 'ack', queue: 'bookings', job: kept }), { action: 'acked' })
    }
  },
  {
    name: 'an enqueue with a key repeated (a reconnected page that retries) gets the first job and follows it',
    env: FAST,
    run: async (t, { wsUrl }, q) => {
      const before = await TestClient.connect(t, wsUrl)
      const first = await before.request({ action: 'enqueue', queue: 'bookings', message: { visitor: 2199 }, key: 'visit-2199' })
      t.match(first, { action: 'enqueued', queue: 'bookings', job: String, position: 1 })
      before.socket.terminate()
      const after = await TestClient.connect(t, wsUrl)
      const again = await after.request({ action: 'enqueue', queue: 'bookings', message: { visitor: 2199 }, key: 'visit-2199' })
      t.same({ ...again, id: undefined }, { ...first, id: undefined }, 'the same job and place')
      t.match((await q.stats()).body, { enqueued: 1 })
      const [held] = await q.claim()
      await q.ack(held.job, held.receipt, { ticket: 5 })
      t.same(await after.waitFor((f) => f.action === 'done'), { action: 'done', queue: 'bookings', job: first.job, result: { ticket: 5 } }, 'the repeat follows the job')
      t.match(await after.request({ action: 'enqueue', queue: 'bookings', message: 1, key: 'bad key' }), { action: 'error', code: 'invalid_request' })
    }
  },
  {
    name: 'a connection follows a bounded number of jobs; past it nothing is queued, and finished jobs make room',
    env: { ...FAST, MAX_WATCHED_JOBS: 2 },
    run: async (t, { wsUrl }, q) => {
      const client = await TestClient.connect(t, wsUrl)
      const { job } = await client.request({ action: 'enqueue', queue: 'bookings', message: 1 })
      await client.request({ action: 'enqueue', queue: 'bookings', message: 2 })
      t.match(await client.request({ action: 'enqueue', queue: 'bookings', message: 3 }), { action: 'error', code: 'too_many_watches', error: /at most 2/ })
      t.match(await client.request({ action: 'watch', queue: 'bookings', job: (await q.enqueue(4)).body.job }), { action: 'error', code: 'too_many_watches' })
      t.match((await q.stats()).body, { enqueued: 3 }, 'the refused enqueue queued nothing')
      t.match(await client.request({ action: 'watch', queue: 'bookings', job }), { action: 'position', position: 1 }, 'watching a followed job again is no new watch')
      const [claimed] = await q.claim()
      await q.ack(claimed.job, claimed.receipt)
      await client.waitFor((f) => f.action === 'done')
      t.match(await client.request({ action: 'enqueue', queue: 'bookings', message: 5 }), { action: 'enqueued' }, 'the finished job made room')
    }
  }
]

t.test('redis: a watcher is told the outcomes whose events it missed while the instance could not listen, and a frozen Redis piles no looks up', async (t) => {
  const app = await MODES[1].start(t, { ...FAST, REDIS_COMMAND_TIMEOUT_MS: 300, JOB_MAX_ATTEMPTS: 1 })
  const redis = app.redis as NonNullable<typeof app.redis>
  const admin = redis.client(t)
  const q = new QueueClient(app.url)
  const watcher = await TestClient.connect(t, app.wsUrl)
  const { job } = (await q.enqueue('mine')).body
  const next = (await q.enqueue('next')).body.job
  t.match(await watcher.request({ action: 'watch', queue: 'bookings', job }), { action: 'position', position: 1 })
  t.match(await watcher.request({ action: 'watch', queue: 'bookings', job: next }), { action: 'position', position: 2 })

  // frozen past several position intervals: the look in flight waits for Redis, the next ones are skipped meanwhile
  redis.signal('SIGSTOP')
  t.teardown(() => redis.signal('SIGCONT'))
  t.equal((await q.stats()).status, 503, 'a request waits REDIS_COMMAND_TIMEOUT_MS, then is refused')
  redis.signal('SIGCONT')

  // the instance's listening connections cut, and no new connection let in: the outcome's event goes unheard
  await admin.config('SET', 'maxclients', '1')
  t.teardown(async () => admin.config('SET', 'maxclients', '10000'))
  await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub')
  const [claimed, refused] = await q.claim({ max: 2 })
  t.equal(claimed.job, job)
  t.equal((await q.ack(claimed.job, claimed.receipt, { ticket: 3 })).status, 200)
  t.equal((await q.nack(refused.job, refused.receipt, { error: 'sold out' })).status, 200)
  t.match(await watcher.waitFor((f) => f.action === 'done'), { job, result: { ticket: 3 } }, 'told from the job\'s status at the next look')
  t.match(await watcher.waitFor((f) => f.action === 'failed'), { job: next, error: 'sold out', attempts: 1 }, 'a failure too')
  const other = await watcher.request({ action: 'watch', queue: 'bookings', job: (await q.enqueue('last')).body.job })
  t.match(other, { action: 'position', position: 1 }, 'still watching through the frozen spell')
})

for (const mode of MODES) {
  for (const scenario of scenarios) {
    t.test(`${mode.name}: ${scenario.name}`, async (t) => {
      const app = await mode.start(t, scenario.env)
      await scenario.run(t, app, new QueueClient(app.url))
    })
  }
}
