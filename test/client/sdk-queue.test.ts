/** The SDK's enqueue() and consume() against the real server, embedded and through Redis, across reconnects. */
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { JobError, ProxyerClient, ProxyerError, type DeliveredJob } from '../../client/proxyer-client.js'
import { cutSockets, type Env, eventually, MODES, type RunningApp } from '../helper.js'
import { QueueClient } from '../queue/http.js'

const FAST = { POSITION_INTERVAL_MS: 50, JOB_VISIBILITY_MS: 60_000 }

function client (t: Test, app: RunningApp): ProxyerClient {
  const c = new ProxyerClient(app.wsUrl, { WebSocket, backoff: () => 20 })
  t.teardown(() => c.close())
  return c
}

async function connected (c: ProxyerClient): Promise<void> {
  await eventually(() => c.state === 'connected', 'the client is connected')
}

/** A producer whose job is claimed by a worker while it is away; it stays away until reconnectNow(). */
async function claimedWhileAway (t: Test, app: RunningApp, q: QueueClient) {
  const producer = new ProxyerClient(app.wsUrl, { WebSocket, backoff: () => 60_000 })
  t.teardown(() => producer.close())
  const job = await producer.enqueue('bookings', 'mine')
  cutSockets(app.app)
  await eventually(() => producer.state === 'reconnecting', 'the producer lost its connection')
  const [claimed] = await q.claim()
  return { producer, job, claimed }
}

interface Scenario {
  name: string
  env?: Env
  run: (t: Test, app: RunningApp, q: QueueClient) => Promise<void>
}

const scenarios: Scenario[] = [
  {
    name: 'enqueue resolves with the job, its place goes down, consume acks with the handler\'s result or nacks with its error',
    env: { JOB_MAX_ATTEMPTS: 1 },
    run: async (t, app) => {
      const producer = client(t, app)
      const first = await producer.enqueue('bookings', { visitor: 1 })
      const second = await producer.enqueue('bookings', { visitor: 2, fail: true })
      t.same([first.queue, first.position, second.position], ['bookings', 1, 2])
      const places: number[] = []
      second.onPosition((p) => places.push(p))
      const seen: DeliveredJob[] = []
      const worker = client(t, app)
      let release!: () => void
      const held = new Promise<void>((resolve) => { release = resolve })
      const stop = worker.consume('bookings', async (job) => {
        seen.push(job)
        const { visitor, fail } = job.message as { visitor: number, fail?: boolean }
        if (fail === true) throw new Error('sold out')
        await held
        return { ticket: visitor * 10 }
      })
      await eventually(() => first.position === 0 && second.position === 1, 'the first is held, the second moves up')
      release()
      t.same(await first.result, { ticket: 10 })
      await t.rejects(second.result, new JobError('job_failed', 'sold out', 1))
      t.equal(places[0], 1, 'the second job\'s place went down to the front (a place 0 may be skipped within POSITION_INTERVAL_MS)')
      t.same(seen.map((j) => [j.job, j.attempt]), [[first.job, 1], [second.job, 1]])
      stop()
      stop()
      await t.rejects(producer.enqueue('no..queue', 1), ProxyerError, 'a bad queue name is refused')
    }
  },
  {
    name: 'a producer that reconnects watches its job again and still gets its place and result',
    run: async (t, app, q) => {
      const { producer, job, claimed } = await claimedWhileAway(t, app, q)
      producer.reconnectNow()
      await connected(producer)
      await eventually(() => job.position === 0, 'the watch after reconnect tells it is held')
      await q.ack(job.job, claimed.receipt, 'confirmed')
      t.equal(await job.result, 'confirmed')
    }
  },
  {
    name: 'a job finished while the producer was away: the watch after reconnect brings the result; close() lets jobs go',
    run: async (t, app, q) => {
      const { producer, job, claimed } = await claimedWhileAway(t, app, q)
      await q.ack(claimed.job, claimed.receipt, 7)
      producer.reconnectNow()
      t.equal(await job.result, 7)
      const pending = await producer.enqueue('bookings', 'never done')
      producer.close()
      await t.rejects(pending.result, { code: 'closed' }, 'a closed client lets its jobs go')
    }
  },
  {
    name: 'a consumer that reconnects consumes again; the job it held goes back and comes to it again',
    run: async (t, app, q) => {
      const worker = client(t, app)
      const attempts: number[] = []
      let first = true
      worker.consume('bookings', async (job) => {
        attempts.push(job.attempt)
        if (first) {
          first = false
          // the connection is cut while this job is held: its ack cannot go on the new connection
          cutSockets(app.app)
          await eventually(() => worker.state === 'connected', 'reconnected')
        }
        return 'ok'
      }, { prefetch: 2 })
      await connected(worker)
      const { job } = (await q.enqueue('x')).body
      await eventually(async () => (await q.job(job)).body.state === 'done', 'the job is done in the end')
      t.same(attempts, [1, 2], 'redelivered to the reconnected consumer')
    }
  }
]

t.test('redis: a job\'s watch refused after a reconnect while Redis does not answer is told as an error; the next reconnect watches it again', async (t) => {
  const app = await MODES[1].start(t, { ...FAST, REDIS_COMMAND_TIMEOUT_MS: 300 })
  const redis = app.redis as NonNullable<typeof app.redis>
  const producer = client(t, app)
  const errors: ProxyerError[] = []
  producer.on('error', (err) => errors.push(err as ProxyerError))
  const job = await producer.enqueue('bookings', 'mine')
  redis.signal('SIGSTOP')
  t.teardown(() => redis.signal('SIGCONT'))
  cutSockets(app.app)
  await eventually(() => errors.length > 0, 'the refused watch is told', 10_000)
  t.match(errors[0], { code: 'unavailable', topic: 'bookings' }, 'the queue\'s name with the server\'s code')
  redis.signal('SIGCONT')
  let connects = 0
  producer.on('state', (state) => { if (state === 'connected') connects++ })
  cutSockets(app.app)
  await eventually(() => connects > 0, 'reconnected with Redis back')
  const q = new QueueClient(app.url)
  const [claimed] = await q.claim()
  t.equal(claimed.job, job.job)
  t.equal((await q.ack(claimed.job, claimed.receipt, { ticket: 5 })).status, 200)
  t.same(await job.result, { ticket: 5 }, 'the outcome reaches the producer through the watch sent again')
})

for (const mode of MODES) {
  for (const scenario of scenarios) {
    t.test(`${mode.name}: ${scenario.name}`, async (t) => {
      const app = await mode.start(t, { ...FAST, ...scenario.env })
      await scenario.run(t, app, new QueueClient(app.url))
    })
  }
}
