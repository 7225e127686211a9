/** The work queues over HTTP and through the interface the socket uses, run from one table in embedded and in Redis mode. */
import t, { type Test } from 'tap'
import { type Env, eventually, MODES, type RunningApp } from '../helper.js'
import { call, QueueClient } from './http.js'
import type { ClaimedJob, JobEvent } from '../../src/queue/work-queue.js'

// 19 scenarios, each in both modes: half of the runs with a redis-server of their own
t.setTimeout(300_000)

interface Scenario {
  name: string
  env?: Env
  run: (t: Test, app: RunningApp, q: QueueClient) => Promise<void>
}

const scenarios: Scenario[] = [
  {
    name: 'enqueues made at the same moment each get a job and a place of their own; a key sent twice among them queues one',
    run: async (t, _app, q) => {
      const replies = await Promise.all([
        ...Array.from({ length: 30 }, async (_, i) => q.enqueue({ seat: i })),
        q.enqueue('keyed', 'order-7'),
        q.enqueue('keyed', 'order-7')
      ])
      t.ok(replies.every((r) => r.status === 201), 'every enqueue accepted')
      const keyed = replies.slice(30)
      t.same(keyed[0].body, keyed[1].body, 'the key\'s two enqueues got the same job and place')
      const unique = replies.slice(0, 31)
      t.equal(new Set(unique.map((r) => r.body.job)).size, 31, '31 jobs, each its own id')
      t.same(unique.map((r) => r.body.position).sort((a, b) => a - b), Array.from({ length: 31 }, (_, i) => i + 1), 'places 1 to 31, each once')
      const claimed = await q.claim({ max: 100 })
      const byPlace = [...unique].sort((a, b) => a.body.position - b.body.position).map((r) => r.body.job)
      t.same(claimed.map((j) => j.job), byPlace, 'claimed in the order of their places')
    }
  },
  {
    name: 'claims made at the same moment share the line: each job to one of them, none over its max, in line order',
    run: async (t, _app, q) => {
      const jobs = []
      for (let i = 0; i < 12; i++) jobs.push((await q.enqueue({ seat: i })).body.job)
      const claims = await Promise.all([4, 4, 4, 4, 4].map(async (max) => q.claim({ max })))
      t.ok(claims.every((claimed) => claimed.length <= 4), `each at most its max: ${claims.map((c) => c.length).join(', ')}`)
      const claimed = claims.flat().map((j) => j.job)
      t.same([...claimed].sort(), [...jobs].sort(), 'the 12 jobs, each claimed once')
      for (const batch of claims) t.same(batch.map((j) => j.job), jobs.filter((job) => batch.some((j) => j.job === job)), 'each claim\'s jobs in line order')
    }
  },
  {
    name: 'a batch ack of 30 held jobs: each done once, a job named twice in it refused the second time',
    run: async (t, { url }, q) => {
      await Promise.all(Array.from({ length: 30 }, async (_, i) => q.enqueue({ seat: i })))
      const held = await q.claim({ max: 30 })
      const jobs = [...held, held[0]].map(({ job, receipt }, i) => ({ job, receipt, result: { ticket: i } }))
      const batch = await call(`${url}/queues/bookings/ack`, 'POST', { jobs })
      t.same(batch.body.results, [...held.map(({ job }) => ({ job, status: 200 })), { job: held[0].job, status: 409, code: 'not_held' }])
      t.match((await q.job(held[29].job)).body, { state: 'done', result: { ticket: 29 } }, 'each its own result')
      t.match((await q.job(held[0].job)).body, { state: 'done', result: { ticket: 0 } }, 'the refused repeat changed nothing')
      t.match((await q.stats()).body, { waiting: 0, active: 0, done: 30 })
    }
  },
  {
    name: 'enqueue, claim, ack: the producer reads the result, the figures count it',
    run: async (t, { url }, q) => {
      const first = await q.enqueue({ visitor: 2199, zone: 'en00030' })
      t.equal(first.status, 201)
      t.match(first.body, { queue: 'bookings', job: /^[A-Za-z0-9_-]{22}$/, position: 1 })
      const text = await call(`${url}/queues/bookings/jobs`, 'POST', 'plain booking', 'text/plain')
      t.match(text, { status: 201, body: { position: 2 } })
      const jobs = await q.claim({ max: 5 })
      t.same(jobs.map((j) => [j.job, j.message, j.attempt]), [[first.body.job, { visitor: 2199, zone: 'en00030' }, 1], [text.body.job, 'plain booking', 1]])
      t.not(jobs[0].receipt, jobs[1].receipt, 'each delivery has its own receipt')
      t.match(await q.job(first.body.job), { status: 200, body: { state: 'active', attempts: 1 } })
      t.match(await q.ack(first.body.job, jobs[0].receipt, { ticket: 32925 }), { status: 200, body: { queue: 'bookings', job: first.body.job } })
      t.same((await q.job(first.body.job)).body, { queue: 'bookings', job: first.body.job, state: 'done', attempts: 1, result: { ticket: 32925 } })
      const batch = await call(`${url}/queues/bookings/ack`, 'POST', {
        jobs: [{ job: text.body.job, receipt: jobs[1].receipt }, { job: first.body.job, receipt: jobs[0].receipt }, { job: 'nope', receipt: 'x' }]
      })
      t.same(batch.body.results, [
        { job: text.body.job, status: 200 }, { job: first.body.job, status: 409, code: 'not_held' }, { job: 'nope', status: 404, code: 'unknown_job' }
      ])
      t.match((await q.stats()).body, { queue: 'bookings', waiting: 0, active: 0, enqueued: 2, done: 2, failed: 0, oldestWaitingMs: 0 })
      t.same((await call(`${url}/queues`, 'GET')).body.queues.map((s: { queue: string }) => s.queue), ['bookings'])
    }
  },
  {
    name: 'a hold that lapses goes out again with attempt + 1, and the stale receipt is refused',
    run: async (t, _app, q) => {
      const { job } = (await q.enqueue('b1')).body
      const [first] = await q.claim({ visibilityMs: 150 })
      await eventually(async () => (await q.job(job)).body.state === 'waiting', 'the hold lapsed')
      const [second] = await q.claim()
      t.match(second, { job, attempt: 2 })
      t.not(second.receipt, first.receipt)
      t.match(await q.ack(job, first.receipt, 'late'), { status: 409, body: { code: 'not_held' } })
      t.match(await q.nack(job, first.receipt), { status: 409, body: { code: 'not_held' } })
      t.match((await q.job(job)).body, { state: 'active', attempts: 2 }, 'the refused ack changed nothing')
      t.match(await q.ack(job, second.receipt, 'ok'), { status: 200 })
    }
  },
  {
    name: 'the last attempt failed fails the job at once, without another claim',
    env: { JOB_MAX_ATTEMPTS: 2 },
    run: async (t, { url }, q) => {
      const { job } = (await q.enqueue({ visitor: 1 })).body
      const [first] = await q.claim()
      t.match(await q.nack(job, first.receipt, { error: 'zone closed' }), { status: 200 })
      t.match((await q.job(job)).body, { state: 'waiting', position: 1, attempts: 1, error: 'zone closed' })
      await q.claim({ visibilityMs: 150 })
      await eventually(async () => (await q.job(job)).body.state === 'failed', 'the sweep failed the job')
      t.match((await q.job(job)).body, { state: 'failed', attempts: 2, error: /visibility/ })
      const failed = await call(`${url}/queues/bookings/failed`, 'GET')
      t.match(failed.body, { queue: 'bookings', jobs: [{ job, message: { visitor: 1 }, attempts: 2, error: /visibility/, failedAt: String }] })
      t.same(await q.claim(), [], 'a failed job is not handed out')
      t.match((await q.stats()).body, { failed: 1, waiting: 0, active: 0 })
    }
  },
  {
    name: 'a full queue refuses with 429 and queues nothing',
    env: { QUEUE_MAX_LENGTH: 2 },
    run: async (t, _app, q) => {
      await q.enqueue(1)
      await q.enqueue(2)
      const refused = await q.enqueue(3)
      t.match(refused, { status: 429, body: { code: 'queue_full' } })
      t.equal(refused.headers.get('retry-after'), '1')
      t.match((await q.stats()).body, { waiting: 2, enqueued: 2 })
      const jobs = await q.claim({ max: 10 })
      t.same(jobs.map((j) => j.message), [1, 2])
      t.equal((await q.enqueue(4)).status, 201, 'held jobs leave room in line')
    }
  },
  {
    name: 'a watcher sees its place go down as the line moves, 0 while held, then the result',
    env: { POSITION_INTERVAL_MS: 50 },
    run: async (t, { app }, q) => {
      for (const n of [1, 2]) await q.enqueue(n)
      const { job } = (await q.enqueue(3)).body
      const events: JobEvent[] = []
      const stop = await app.queues.watch('bookings', job, (event) => events.push(event))
      t.type(stop, 'function')
      const seen = async (match: (e: JobEvent) => boolean, what: string): Promise<void> =>
        eventually(async () => events.some(match), what, 5000)
      for (const expected of [2, 1]) {
        const [next] = await q.claim()
        await q.ack(next.job, next.receipt)
        await seen((e) => e.type === 'position' && e.position === expected, `position ${expected}`)
      }
      const [mine] = await q.claim()
      await seen((e) => e.type === 'position' && e.position === 0, 'position 0 while held')
      await q.ack(job, mine.receipt, { ticket: 7 })
      await seen((e) => e.type === 'done', 'the result')
      t.same(events.map((e) => e.type === 'position' ? e.position : e.type), [3, 2, 1, 0, 'done'])
      t.same(events.at(-1), { type: 'done', queue: 'bookings', job, result: { ticket: 7 } })
      const late: JobEvent[] = []
      await app.queues.watch('bookings', job, (event) => late.push(event))
      t.same(late, [{ type: 'done', queue: 'bookings', job, result: { ticket: 7 } }], 'watching a finished job tells its outcome at once')
      t.equal(await app.queues.watch('bookings', 'AAAAAAAAAAAAAAAAAAAAAA', () => {}), undefined, 'an unknown job cannot be watched')
    }
  },
  {
    name: 'claims racing never get the same job',
    run: async (t, _app, q) => {
      await Promise.all(Array.from({ length: 60 }, async (_, n) => q.enqueue(n)))
      const claims = await Promise.all(Array.from({ length: 12 }, async () => q.claim({ max: 7 })))
      const ids = claims.flat().map((j) => j.job)
      t.equal(ids.length, 60)
      t.equal(new Set(ids).size, 60, 'no job was handed out twice')
    }
  },
  {
    name: 'a long-poll is answered as soon as a job arrives',
    run: async (t, _app, q) => {
      // the queue exists from its first job on, so the waiting claim shows in its figures
      await q.enqueue('first')
      const [first] = await q.claim()
      await q.ack(first.job, first.receipt)
      const claim = q.claim({ waitMs: 10_000 })
      await eventually(async () => (await q.stats()).body.consumers === 1, 'the claim waits', 5000)
      const started = Date.now()
      const { job } = (await q.enqueue('now')).body
      const [claimed] = await claim
      t.equal(claimed.job, job)
      t.ok(Date.now() - started < 1000, `answered after ${Date.now() - started} ms, not at the end of the wait`)
      t.same(await q.claim({ waitMs: 100 }), [], 'an empty list when the wait ends')
    }
  },
  {
    name: 'a job given back goes to the front of the line',
    run: async (t, _app, q) => {
      const a = (await q.enqueue('a')).body.job
      await q.enqueue('b')
      const [held] = await q.claim()
      t.equal(held.job, a)
      await q.enqueue('c')
      await q.nack(a, held.receipt)
      t.match((await q.job(a)).body, { state: 'waiting', position: 1 })
      const jobs = await q.claim({ max: 3 })
      t.same(jobs.map((j) => [j.message, j.attempt]), [['a', 2], ['b', 1], ['c', 1]])
    }
  },
  {
    name: 'a nack with a delay keeps the job out of line until then',
    run: async (t, _app, q) => {
      const { job } = (await q.enqueue('later')).body
      const [held] = await q.claim()
      await q.nack(job, held.receipt, { delayMs: 300, error: 'busy' })
      t.match((await q.job(job)).body, { state: 'waiting', position: 1, attempts: 1, error: 'busy' }, 'the place it comes back to')
      t.match((await q.stats()).body, { waiting: 1, active: 0 })
      // that no worker gets it meanwhile: the next scenario, with a delay long enough for a loaded machine
      const [again] = await q.claim({ waitMs: 5000 })
      t.match(again, { job, attempt: 2 })
    }
  },
  {
    name: 'a job nacked with a delay keeps its place, shown to its watcher, while the jobs behind it are handed out',
    env: { POSITION_INTERVAL_MS: 50 },
    run: async (t, { app }, q) => {
      const [a, b, c] = await Promise.all(['a', 'b', 'c'].map(async (message) => (await q.enqueue(message)).body.job))
      const [held] = await q.claim()
      // long enough that it cannot come back during the test
      await q.nack(a, held.receipt, { delayMs: 600_000 })
      const events: JobEvent[] = []
      await app.queues.watch('bookings', a, (event) => events.push(event))
      t.same(events, [{ type: 'position', queue: 'bookings', job: a, position: 1 }], 'a watch is told its place at once')
      t.match((await q.job(a)).body, { state: 'waiting', position: 1 })
      const [next] = await q.claim()
      t.equal(next.job, b, 'the delayed job is not handed out')
      t.match((await q.job(c)).body, { position: 1 }, 'the job behind it is first of those in line')
      await q.ack(b, next.receipt)
      const [last] = await q.claim({ max: 5 })
      t.equal(last.job, c)
      t.match((await q.job(a)).body, { state: 'waiting', position: 1 }, 'still its place, 1 with nothing ahead')
      t.match((await q.stats()).body, { waiting: 1, active: 1 })
    }
  },
  {
    name: 'an Idempotency-Key repeat queues nothing and answers the first job, also racing, also once done',
    run: async (t, { url }, q) => {
      const first = await q.enqueue({ visitor: 2199 }, 'booking-2199')
      t.match(first, { status: 201, body: { queue: 'bookings', position: 1 } })
      t.equal((await q.enqueue('no key')).body.position, 2)
      t.same((await q.enqueue({ visitor: 'other' }, 'booking-2199')).body, first.body, 'the same reply, the message of the repeat ignored')
      const raced = await Promise.all(Array.from({ length: 8 }, async () => q.enqueue('raced', 'race|key')))
      t.same(new Set(raced.map((r) => `${r.status} ${String(r.body.job)}`)).size, 1, 'eight racing POSTs: one job')
      t.match((await q.stats()).body, { enqueued: 3 })
      const other = new QueueClient(url, 'payments')
      t.not((await other.enqueue(1, 'booking-2199')).body.job, first.body.job, 'a key is per queue')
      const [held] = await q.claim()
      t.equal(held.job, first.body.job)
      t.same(held.message, { visitor: 2199 })
      await q.ack(held.job, held.receipt)
      t.same((await q.enqueue({ visitor: 2199 }, 'booking-2199')).body, first.body, 'a repeat after the job is done gets the same job')
      for (const key of ['', 'has space', 'x'.repeat(129)]) {
        t.match(await q.enqueue(1, key), { status: 400, body: { message: /idempotency-key/ } }, `key ${JSON.stringify(key).slice(0, 20)}`)
      }
      t.match((await q.stats()).body, { enqueued: 3 }, 'the refused keys queued nothing')
    }
  },
  {
    name: 'idempotency keys expire after IDEMPOTENCY_TTL',
    env: { IDEMPOTENCY_TTL: 1 },
    run: async (t, _app, q) => {
      const first = (await q.enqueue(1, 'k')).body.job
      await eventually(async () => (await q.enqueue(1, 'k')).body.job !== first, 'a new job under the key once it expired', 5000)
      t.pass('the key was forgotten')
    }
  },
  {
    name: 'bad inputs get clear errors and change nothing',
    env: { MAX_MESSAGE_BYTES: 256 },
    run: async (t, { url }, q) => {
      const { job } = (await q.enqueue('kept')).body
      for (const max of [0, 101, 'two']) {
        t.match(await call(`${url}/queues/bookings/claim`, 'POST', { max }), { status: 400, body: { message: /max/ } }, `max ${String(max)}`)
      }
      t.match(await call(`${url}/queues/bookings/claim`, 'POST', { waitMs: 30_001 }), { status: 400 })
      t.match(await q.ack('not-a-job', 'r'), { status: 404, body: { code: 'unknown_job' } })
      t.match(await q.ack('AAAAAAAAAAAAAAAAAAAAAA', 'r'), { status: 404, body: { code: 'unknown_job' } })
      t.match(await q.nack('not-a-job', 'r'), { status: 404, body: { code: 'unknown_job' } })
      t.match(await q.job('not-a-job'), { status: 404, body: { code: 'unknown_job' } })
      t.match(await q.ack(job, 'wrong-receipt'), { status: 409, body: { code: 'not_held' } })
      t.match(await call(`${url}/queues/other/jobs/${job}/ack`, 'POST', { receipt: 'r' }), { status: 404, body: { code: 'unknown_job' } }, 'a job of another queue')
      t.match(await call(`${url}/queues/bookings/jobs/${job}/ack`, 'POST', {}), { status: 400, body: { message: /receipt/ } })
      t.match(await q.enqueue('x'.repeat(300)), { status: 413 })
      t.match(await call(`${url}/queues/bad%20name/jobs`, 'POST', { message: 1 }), { status: 400 })
      t.match(await call(`${url}/queues/bookings/jobs`, 'POST', { other: 1 }), { status: 400 })
      t.match(await call(`${url}/queues/nothing`, 'GET'), { status: 404, body: { code: 'unknown_queue' } })
      t.match(await call(`${url}/queues/nothing/failed`, 'GET'), { status: 404, body: { code: 'unknown_queue' } })
      t.match(await call(`${url}/queues/nothing/claim`, 'POST'), { status: 200, body: { jobs: [] } }, 'an empty POST claims with the defaults')
      t.match((await q.stats()).body, { waiting: 1, active: 0, enqueued: 1 }, 'nothing changed')
      const [held] = await q.claim()
      t.equal(held.job, job)
    }
  },
  {
    name: 'waiting claims are each woken by a job of their own: three long-polls, three jobs, every one answered long before its wait ends',
    run: async (t, { app }, q) => {
      let answered = 0
      const claims = [1, 2, 3].map(async () => {
        const jobs = await app.queues.claim('bookings', { max: 1, waitMs: 60_000, visibilityMs: 30_000 })
        answered++
        return jobs
      })
      for (const n of [1, 2, 3]) await q.enqueue(n)
      await eventually(() => answered === 3, 'every claim answered', 10_000)
      const got = (await Promise.all(claims)).flat()
      t.same(got.map((j) => j.message).sort(), [1, 2, 3], 'one job each')
      t.equal(new Set(got.map((j) => j.job)).size, 3)
    }
  },
  {
    name: 'a long-poll whose worker hangs up while waiting claims nothing, not even a job queued at that moment',
    run: async (t, { app }, q) => {
      const gone = new AbortController()
      const claim = app.queues.claim('bookings', { max: 1, waitMs: 60_000, visibilityMs: 30_000, signal: gone.signal })
      // a turn of the event loop: the claim has tried the empty line and waits (embedded; in Redis mode it may still be trying)
      await new Promise((resolve) => setImmediate(resolve))
      gone.abort()
      const { job } = await app.queues.enqueue('bookings', 'booking')
      t.same(await claim, [], 'the claim that hung up got nothing')
      t.match((await q.job(job)).body, { state: 'waiting', attempts: 0 })
      const [next] = await q.claim()
      t.match(next, { job, attempt: 1 }, 'the next worker gets it, as a first delivery')
    }
  },
  {
    name: 'a socket consumer gets jobs up to its prefetch, and its held jobs return at once when it stops',
    run: async (t, { app }, q) => {
      for (const n of [1, 2, 3]) await q.enqueue(n)
      const got: ClaimedJob[] = []
      const consumption = app.queues.consume('bookings', { deliver: (queue, job) => got.push(job) }, 2)
      await eventually(async () => got.length === 2, 'two jobs delivered', 5000)
      t.match((await q.stats()).body, { active: 2, waiting: 1, consumers: 1 })
      t.equal(await consumption.ack(got[0].job, { ticket: 1 }), 200)
      await eventually(async () => got.length === 3, 'the third once there was room', 5000)
      t.equal(await consumption.ack(got[0].job, null), 409, 'a job it no longer holds')
      t.equal(await consumption.ack('AAAAAAAAAAAAAAAAAAAAAA', null), 404)
      t.equal(await consumption.nack(got[1].job, 'retry', 0), 200)
      await eventually(async () => got.length === 4, 'the nacked job comes back to it', 5000)
      t.match(got[3], { job: got[1].job, attempt: 2 })
      await consumption.cancel()
      t.match((await q.stats()).body, { active: 0, waiting: 2, consumers: 0 }, 'held jobs went back in line at once')
      const jobs = await q.claim({ max: 5 })
      t.same(jobs.map((j) => j.message), [2, 3], 'at the front, in order')
    }
  }
]

for (const mode of MODES) {
  for (const scenario of scenarios) {
    t.test(`${mode.name}: ${scenario.name}`, async (t) => {
      const app = await mode.start(t, scenario.env)
      await scenario.run(t, app, new QueueClient(app.url))
    })
  }
}
