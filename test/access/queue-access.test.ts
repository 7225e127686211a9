/** The work queues over HTTP once credentials are configured: queuing and following a job need `enqueue`, working and reading the figures need `consume`. */
import t from 'tap'
import { startApp } from '../helper.js'
import { call } from '../queue/http.js'
import { API_KEY, SECRET, hsToken } from './tokens.js'

const SECURED = { API_KEYS: API_KEY, JWT_SECRET: SECRET }
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })

t.test('HTTP work queues: each route needs its grant, a refusal changes nothing, a key may do everything', async (t) => {
  const { url } = await startApp(t, SECURED)
  const jobs = `${url}/queues/bookings/jobs`
  const anonymous = await call(jobs, 'POST', { message: 'free ticket' })
  t.match(anonymous, { status: 401, body: { code: 'PROXYER_UNAUTHORIZED', message: /enqueue on queue "bookings"/ } })
  t.equal(anonymous.headers.get('www-authenticate'), 'Bearer')

  const booker = bearer(hsToken({ sub: 'u7', enqueue: ['bookings'] }))
  const queued = await call(jobs, 'POST', { message: 'ticket' }, 'application/json', booker)
  t.match(queued, { status: 201, body: { position: 1 } })
  t.match(await call(`${jobs}/${queued.body.job as string}`, 'GET', undefined, 'application/json', booker), { status: 200, body: { state: 'waiting' } }, 'who may queue there may follow a job')
  t.match(await call(`${url}/queues/bookings/claim`, 'POST', {}, 'application/json', booker),
    { status: 403, body: { code: 'PROXYER_FORBIDDEN', message: /The token of "u7" may not consume on queue "bookings"/ } })
  t.match(await call(`${url}/queues/bookings`, 'GET', undefined, 'application/json', booker), { status: 403 })
  t.match(await call(`${url}/queues/bookings/failed`, 'GET'), { status: 401 })
  t.match(await call(`${jobs}/${queued.body.job as string}`, 'GET'), { status: 401 })

  const worker = bearer(hsToken({ sub: 'w1', consume: ['bookings'] }))
  t.match(await call(jobs, 'POST', { message: 'fake' }, 'application/json', worker), { status: 403 })
  const claimed = await call(`${url}/queues/bookings/claim`, 'POST', { max: 5 }, 'application/json', worker)
  t.same(claimed.body.jobs.map((j: { message: unknown }) => j.message), ['ticket'], 'the refused ones queued nothing and claimed nothing')
  const { job, receipt } = claimed.body.jobs[0]
  t.match(await call(`${jobs}/${job as string}/nack`, 'POST', { receipt }), { status: 401 }, 'anonymous cannot nack')
  t.match(await call(`${url}/queues/bookings/ack`, 'POST', { jobs: [{ job, receipt }] }), { status: 401 })
  t.match(await call(`${jobs}/${job as string}/ack`, 'POST', { receipt, result: 'ok' }, 'application/json', worker), { status: 200 })
  t.match(await call(`${url}/queues/bookings`, 'GET', undefined, 'application/json', worker), { status: 200, body: { done: 1, enqueued: 1 } })
  t.match(await call(`${url}/queues`, 'GET', undefined, 'application/json', worker), { status: 403, body: { message: /consume on every queue/ } }, 'the list of queues needs consume on every one')
  t.match(await call(`${url}/queues`, 'GET', undefined, 'application/json', bearer(API_KEY)), { status: 200, body: { queues: [{ queue: 'bookings' }] } }, 'a key may')
})
