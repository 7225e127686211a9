/** The load scenario of issue 13 in cluster mode: two compiled instances, three HTTP workers and two socket consumers, one worker and one instance SIGKILLed midway. */
import t from 'tap'
import WebSocket from 'ws'
import { eventually, type Teardown } from '../helper.js'
import { InstanceProcess } from '../instance-process.js'
import { RedisServer } from '../redis-server.js'
import { call } from './http.js'

const JOBS = Number(process.env.QUEUE_LOAD_JOBS ?? 10_000)
// three processes and 10,000 jobs on a busy two-core machine
t.setTimeout(600_000)

/** Deliveries per job (who got it, which attempt: at least once), successful acks per job as the workers heard them, and surprises. */
class Tally {
  readonly delivered = new Map<string, string[]>()
  readonly acked = new Map<string, number>()
  readonly surprises: string[] = []
  /** Jobs whose claim or ack was cut by a failing instance, with that instance: they come back after their visibility. */
  readonly cut = new Map<string, string>()

  deliver (job: string, to: string, attempt: number): void {
    this.delivered.set(job, [...this.delivered.get(job) ?? [], `${to}#${attempt}`])
  }

  ack (job: string): void {
    this.acked.set(job, (this.acked.get(job) ?? 0) + 1)
  }
}

async function open (t: Teardown, url: string): Promise<WebSocket> {
  const socket = new WebSocket(`${url.replace('http', 'ws')}/message`)
  await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject) })
  t.teardown(() => socket.terminate())
  // the socket of a killed instance errors: the test looks at readyState instead
  socket.on('error', () => {})
  return socket
}

interface Producer { jobs: string[], results: Map<string, unknown>, socket: WebSocket }

/** A producer socket: queues its share and keeps the receipts and results it hears. */
async function producer (t: Teardown, url: string, share: number): Promise<Producer> {
  const socket = await open(t, url)
  const jobs: string[] = []
  const results = new Map<string, unknown>()
  socket.on('message', (data) => {
    const frame = JSON.parse(data.toString())
    if (frame.action === 'enqueued') jobs.push(frame.job)
    if (frame.action === 'done') results.set(frame.job, frame.result)
  })
  for (let i = 0; i < share; i++) socket.send(JSON.stringify({ action: 'enqueue', queue: 'bookings', message: { n: i } }))
  await eventually(() => jobs.length === share, `${share} receipts`, 120_000)
  return { jobs, results, socket }
}

/**
 * An HTTP worker: claims 10 through one instance, acks them in one batch there, moves to the next
 * instance when one fails. `unsettled` keeps, per job, the instance it was claimed through until its
 * ack is answered (the tally's `cut` when that instance failed); `kill()` stops the worker where it is, as SIGKILL would.
 */
function httpWorker (t: Teardown, name: string, urls: string[], tally: Tally): { unsettled: Map<string, string>, kill: () => void } {
  const unsettled = new Map<string, string>()
  let stopped = false
  const done = (async () => {
    // eslint-disable-next-line no-unmodified-loop-condition -- kill() and the teardown set it between turns
    for (let at = 0; !stopped;) {
      const url = urls[at % urls.length]
      try {
        // a visibility that outlasts a claim-and-ack round trip on a loaded machine: only the killed ones' jobs lapse
        const claim = await call(`${url}/queues/bookings/claim`, 'POST', { max: 10, waitMs: 500, visibilityMs: 15_000 })
        if (claim.status !== 200) {
          tally.surprises.push(`${name}: claim answered ${claim.status} ${JSON.stringify(claim.body)}`)
          continue
        }
        const jobs = claim.body.jobs as Array<{ job: string, receipt: string, attempt: number }>
        for (const { job, attempt } of jobs) {
          unsettled.set(job, url)
          tally.deliver(job, name, attempt)
        }
        if (stopped || jobs.length === 0) continue
        // as a real worker does: an ack the instance could not take now is sent again
        let reply
        do {
          reply = await call(`${url}/queues/bookings/ack`, 'POST', { jobs: jobs.map(({ job, receipt }) => ({ job, receipt, result: 'http' })) })
          if (reply.status !== 200) tally.surprises.push(`${name}: ack answered ${reply.status} ${JSON.stringify(reply.body)}`)
        // eslint-disable-next-line no-unmodified-loop-condition -- the teardown sets it between turns
        } while (reply.status !== 200 && !stopped)
        if (stopped) return
        for (const { job, status } of reply.body.results) {
          unsettled.delete(job)
          if (status === 200) tally.ack(job)
          else tally.surprises.push(`${name}: ack of ${job} answered ${status}`)
        }
      } catch {
        // its instance is gone: what this worker held through it comes back later, maybe to this worker again
        for (const [job, through] of unsettled) {
          if (through !== url) continue
          tally.cut.set(job, url)
          unsettled.delete(job)
        }
        at++
      }
    }
  })()
  t.teardown(async () => { stopped = true; await done })
  return { unsettled, kill: () => { stopped = true } }
}

/** A socket consumer acking each job at once, with an id so that each ack's outcome is heard. */
async function socketConsumer (t: Teardown, name: string, url: string, tally: Tally): Promise<{ held: Set<string> }> {
  const socket = await open(t, url)
  const held = new Set<string>()
  socket.on('message', (data) => {
    const frame = JSON.parse(data.toString())
    if (frame.action === 'job') {
      held.add(frame.job)
      tally.deliver(frame.job, name, frame.attempt)
      socket.send(JSON.stringify({ action: 'ack', queue: 'bookings', job: frame.job, result: 'socket', id: frame.job }))
    }
    if (frame.action === 'acked') {
      held.delete(frame.id)
      tally.ack(frame.id)
    }
    if (frame.action === 'error') {
      held.delete(frame.id)
      tally.surprises.push(`${name}: ${JSON.stringify(frame)}`)
    }
  })
  socket.send(JSON.stringify({ action: 'consume', queue: 'bookings', prefetch: 10 }))
  return { held }
}

t.test(`${JOBS} jobs through two instances, a worker and an instance SIGKILLed midway: each acked once, none lost`, async (t) => {
  const redis = await RedisServer.start(t)
  // socket consumers' holds lapse this long after their instance dies
  const env = { REDIS_URL: redis.url, JOB_VISIBILITY_MS: 5000, POSITION_INTERVAL_MS: 1000, MAX_WATCHED_JOBS: JOBS }
  const options = { startTimeoutMs: 120_000 }
  const [a, b] = await Promise.all([InstanceProcess.start(t, env, options), InstanceProcess.start(t, env, options)])
  const tally = new Tally()

  const started = Date.now()
  const producers = await Promise.all([producer(t, a.url, JOBS * 0.4), producer(t, a.url, JOBS * 0.3), producer(t, b.url, JOBS * 0.3)])
  const all = producers.flatMap((p) => p.jobs)
  t.equal(new Set(all).size, JOBS, 'every job queued, each with its own id')

  const doomedWorker = httpWorker(t, 'doomed worker', [a.url], tally)
  const workers = [httpWorker(t, 'worker ab', [a.url, b.url], tally), httpWorker(t, 'worker ba', [b.url, a.url], tally)]
  await socketConsumer(t, 'consumer a', a.url, tally)
  const doomedConsumer = await socketConsumer(t, 'doomed consumer', b.url, tally)

  await eventually(() => tally.acked.size >= JOBS / 2, 'half the jobs acked', 300_000)
  doomedWorker.kill()
  b.kill('SIGKILL')
  await b.exited

  await eventually(async () => (await call(`${a.url}/queues/bookings`, 'GET')).body.done === JOBS, 'every job done', 300_000)
  // the only jobs that may be delivered twice: held by the killed worker or consumer, or claimed through the killed instance and
  // not acked there (frames in flight when it died are counted too, as these sets are read only now)
  const mayRepeat = new Set([
    ...doomedWorker.unsettled.keys(), ...doomedConsumer.held, ...tally.cut.keys(),
    ...workers.flatMap((w) => [...w.unsettled].filter(([, url]) => url === b.url).map(([job]) => job))
  ])
  t.same([...new Set(tally.cut.values())].filter((url) => url !== b.url), [], 'only the killed instance failed a worker')
  t.comment(`${JOBS} jobs through two instances in ${((Date.now() - started) / 1000).toFixed(1)} s; ${mayRepeat.size} held by the killed ones`)

  const stats = await call(`${a.url}/queues/bookings`, 'GET')
  t.match(stats.body, { waiting: 0, active: 0, enqueued: JOBS, done: JOBS, failed: 0 }, 'done once each: the server counts every accepted ack')
  t.same([...tally.acked.values()].filter((n) => n !== 1), [], 'no worker heard two acks of one job accepted')
  const twice = [...tally.delivered].filter(([job, to]) => to.length > 1 && !mayRepeat.has(job))
  t.same(twice, [], 'delivered twice only when the killed worker or instance held it')
  t.same(tally.surprises, [], 'no claim or ack refused')

  for (const [i, p] of producers.slice(0, 2).entries()) {
    await eventually(() => p.results.size === p.jobs.length, `producer ${i} has every result`, 60_000)
    t.ok(p.jobs.every((job) => p.results.get(job) === 'http' || p.results.get(job) === 'socket'), `producer ${i} got each result`)
  }
  t.equal(producers[2].socket.readyState, WebSocket.CLOSED, 'the producer on the killed instance lost its connection')
  // its jobs were done all the same: asked in batches of 50
  const orphans = producers[2].jobs
  const states: string[] = []
  for (let i = 0; i < orphans.length; i += 50) {
    const replies = await Promise.all(orphans.slice(i, i + 50).map(async (job) => call(`${a.url}/queues/bookings/jobs/${job}`, 'GET')))
    states.push(...replies.map((reply) => reply.body.state))
  }
  t.same(states.filter((state) => state !== 'done'), [], 'the killed instance\'s producer\'s jobs are done too')
})
