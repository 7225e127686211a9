/** The example booking worker against a real proxyer: bookings in, confirmed bookings out on `booked`, refusals retried. */
import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { eventually, getJson, startApp } from '../helper.js'
import { call, QueueClient } from './http.js'
import { API_KEY } from '../access/tokens.js'
import { BookingWorker } from '../../examples/booking-worker.js'
import { projectRoot } from '../../src/project-root.js'

// the last case starts tsx in a child process, slow on a busy 2-core machine
t.setTimeout(90_000)

t.test('the worker confirms each booking, acks with its ticket and publishes it in colon form', async (t) => {
  const { url } = await startApp(t)
  const q = new QueueClient(url)
  const jobs = []
  for (const visitor of [2199, 2200, 2201]) jobs.push((await q.enqueue({ visitor, zone: 'en00030' })).body.job)
  // the first draw refuses a booking: it comes back to the front and is booked on its next attempt
  const draws = [0, 0.9, 0.9, 0.9]
  const logged: string[] = []
  const worker = new BookingWorker({ url, pace: 50, failureRate: 0.5, random: () => draws.shift() ?? 0.9, log: (line) => logged.push(line) })
  const running = worker.run()
  const board = async (): Promise<string[]> => ((await getJson(`${url}/topics/booked/history`)).messages ?? []).map((m: { message: string }) => m.message)
  await eventually(async () => (await board()).length === 3, 'three bookings on the board', 10_000)
  worker.stop()
  await running
  const booked = await board()
  t.same(booked.map((m) => m.split(':').slice(1)), [['2199', '1', 'en00030'], ['2200', '2', 'en00030'], ['2201', '3', 'en00030']])
  t.ok(booked.every((m) => /^\d{13}:/.test(m)), 'each starts with the time in epoch milliseconds')
  t.match((await q.job(jobs[0])).body, { state: 'done', attempts: 2, result: { ticket: 1, zone: 'en00030' } })
  t.same(worker.counts, { booked: 3, refused: 1 })
  t.match(logged, [/^refused/, /^booked/])
})

t.test('with API_KEYS set, the worker books with its key, and without one it is refused', async (t) => {
  const { url } = await startApp(t, { API_KEYS: API_KEY })
  const auth = { authorization: `Bearer ${API_KEY}` }
  const { job } = (await call(`${url}/queues/bookings/jobs`, 'POST', { message: { visitor: 9, zone: 'south' } }, 'application/json', auth)).body
  const keyless: string[] = []
  const refused = new BookingWorker({ url, pace: 50, failureRate: 0, log: (line) => keyless.push(line) })
  const trying = refused.run()
  await eventually(async () => keyless.length > 0, 'the keyless worker says why it cannot claim', 5000)
  refused.stop()
  await trying
  t.match(keyless[0], /claim answered 401/)
  const worker = new BookingWorker({ url, apiKey: API_KEY, pace: 50, failureRate: 0 })
  const running = worker.run()
  await eventually(async () => (await call(`${url}/queues/bookings/jobs/${job}`, 'GET', undefined, undefined, auth)).body.state === 'done', 'the booking is done', 10_000)
  worker.stop()
  await running
  t.same((await getJson(`${url}/topics/booked/history`)).messages.map((m: { message: string }) => m.message.split(':').slice(1)), [['9', '1', 'south']], 'published with the key')
})

t.test('a worker stalled past its booking\'s visibility has its ack refused and confirms nothing; the next attempt books it', async (t) => {
  const { url } = await startApp(t, { JOB_VISIBILITY_MS: 100 })
  const q = new QueueClient(url)
  // a message without visitor and zone, as a walk-in at the desk is booked
  const { job } = (await q.enqueue('walk-in')).body
  // the first draw stalls the whole process (a long GC pause, a blocking call) for four visibilities:
  // the sweep that runs first after it hands the booking back, before the ack reaches the server
  let draws = 0
  const stall = (): number => {
    if (draws++ === 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 400)
    return 0.9
  }
  const logged: string[] = []
  const worker = new BookingWorker({ url, pace: 50, failureRate: 0.5, random: stall, log: (line) => logged.push(line) })
  const running = worker.run()
  await eventually(async () => (await q.job(job)).body.state === 'done', 'the booking is done', 10_000)
  worker.stop()
  await running
  t.match(logged, [new RegExp(`^booking ${job} was no longer ours \\(409\\); not confirmed`), /^booked/])
  t.match((await q.job(job)).body, { attempts: 2, result: { ticket: 2 } }, 'booked on its second attempt')
  t.same((await getJson(`${url}/topics/booked/history`)).messages.map((m: { message: string }) => m.message.split(':').slice(1)), [['anonymous', '2', 'general']],
    'one confirmation, from the second attempt; the refused ack published none')
  t.same(worker.counts, { booked: 1, refused: 0 })
})

t.test('the worker waits for a proxyer that is away, and stops when told', async (t) => {
  const logged: string[] = []
  const worker = new BookingWorker({ url: 'http://127.0.0.1:1', pace: 5, failureRate: 0, log: (line) => logged.push(line) })
  const running = worker.run()
  await eventually(async () => logged.length > 0, 'a retry is logged', 5000)
  worker.stop()
  await running
  t.match(logged[0], /proxyer unreachable/)
})

t.test('npm run worker reads its settings from the environment', async (t) => {
  const { url } = await startApp(t)
  const q = new QueueClient(url)
  const { job } = (await q.enqueue({ visitor: 7, zone: 'north' })).body
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'examples', 'worker.ts')], {
    env: { ...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0', PROXYER_URL: url, PACE: '20', FAILURE_RATE: '0' }, stdio: ['ignore', 'pipe', 'inherit']
  })
  t.teardown(() => child.kill('SIGKILL'))
  await eventually(async () => (await q.job(job)).body.state === 'done', 'the booking is done', 15_000)
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  t.equal(code, 0, 'it stops cleanly on SIGTERM')

  const bad = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'examples', 'worker.ts')], { env: { ...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0', PACE: '0' }, stdio: 'ignore' })
  t.equal((await once(bad, 'exit'))[0], 1, 'a bad PACE is refused')
})
