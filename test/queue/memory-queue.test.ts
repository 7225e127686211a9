/** The embedded engine on a clock the test moves: long lines renumbered in order, results and empty queues forgotten in time. */
import t, { type Test } from 'tap'
import { eventually } from '../helper.js'
import { MemoryWorkQueue } from '../../src/queue/memory-queue.js'
import type { ClaimedJob } from '../../src/queue/work-queue.js'

function engine (t: Test, clock: { now: number }, visibilityMs = 1000): MemoryWorkQueue {
  const queues = new MemoryWorkQueue({
    limits: { maxLength: 10_000, maxAttempts: 3, resultTtlMs: 1000, queueTtlMs: 5000, positionIntervalMs: 1000, idempotency: { ttlMs: 1000, maxKeys: 10 } },
    visibilityMs,
    sweepIntervalMs: 60_000,
    now: () => clock.now,
    onError: (err) => { throw err }
  })
  t.teardown(async () => queues.close())
  return queues
}

t.test('a line longer than its tree is renumbered and keeps its order and places', async (t) => {
  const clock = { now: 1_000_000 }
  const queues = engine(t, clock)
  const ids: string[] = []
  for (let n = 0; n < 1500; n++) ids.push((await queues.enqueue('bookings', n)).job)
  t.match(await queues.status('bookings', ids[1499]), { state: 'waiting', position: 1500 })
  const first = await queues.claim('bookings', { max: 100, waitMs: 0, visibilityMs: 1000 })
  t.same(first.map((j) => j.message), Array.from({ length: 100 }, (_, n) => n))
  t.match(await queues.status('bookings', ids[1499]), { position: 1400 })
  for (let n = 0; n < 2000; n++) await queues.enqueue('bookings', 'more')
  t.match(await queues.status('bookings', ids[1499]), { position: 1400 }, 'the same place after renumbering')
  await queues.nack('bookings', first[0].job, first[0].receipt, undefined, 0)
  t.match(await queues.status('bookings', first[0].job), { position: 1, error: 'nacked by the worker' }, 'a job given back is first again')
})

t.test('results expire after their TTL, empty queues after the queue TTL', async (t) => {
  const clock = { now: 1_000_000 }
  const queues = engine(t, clock)
  const { job } = await queues.enqueue('bookings', 'one')
  const [held] = await queues.claim('bookings', { max: 1, waitMs: 0, visibilityMs: 1000 })
  await queues.ack('bookings', job, held.receipt, { ticket: 1 })
  clock.now += 999
  queues.sweep()
  t.match(await queues.status('bookings', job), { state: 'done' })
  clock.now += 1
  queues.sweep()
  t.equal(await queues.status('bookings', job), undefined, 'forgotten after JOB_RESULT_TTL')
  t.same(await queues.queues(), ['bookings'])
  clock.now += 5000
  t.same(await queues.queues(), [], 'gone once empty for the queue TTL')
  t.equal(await queues.stats('bookings'), undefined)
  t.equal(await queues.failed('bookings', 10), undefined)
})

t.test('a socket consumer that lost a job anyway (its process froze past the visibility) lets it go and takes jobs again', async (t) => {
  const clock = { now: 1_000_000 }
  // renewed every 10 ms of real time, lapsed by the test's clock
  const queues = engine(t, clock, 30)
  const { job } = await queues.enqueue('bookings', 'one')
  const got: ClaimedJob[] = []
  const consumption = queues.consume('bookings', { deliver: (_queue, claimed) => got.push(claimed) }, 1)
  await eventually(() => got.length === 1, 'delivered')
  clock.now += 31
  queues.sweep()
  t.match(await queues.status('bookings', job), { state: 'waiting', attempts: 1 }, 'lapsed, back in line')
  await eventually(() => got.length === 2, 'taken again once the renewal found it gone')
  t.match(got[1], { job, attempt: 2 })
  t.equal(await consumption.ack(job, 'ok'), 200)
})
