/** Work queues on a Redis Cluster: not built there, so every request is refused with a sentence saying so (501 over HTTP). */
import t from 'tap'
import { REDIS_CLUSTER, TestClient } from '../helper.js'
import { QueuesUnsupportedError, UnsupportedWorkQueue } from '../../src/queue/unsupported-queue.js'

t.test('on a Redis Cluster, queue requests over HTTP and the socket are refused, saying why', async (t) => {
  const { url, wsUrl } = await REDIS_CLUSTER.start(t)
  const enqueue = await fetch(`${url}/queues/bookings/jobs`, { method: 'POST', body: JSON.stringify({ message: 1 }), headers: { 'content-type': 'application/json' } })
  t.equal(enqueue.status, 501)
  t.match(await enqueue.json(), { code: 'PROXYER_QUEUES_UNSUPPORTED', message: /not available on a Redis Cluster .* REDIS_URL/ })
  t.equal((await fetch(`${url}/queues`)).status, 501)
  const socket = await TestClient.connect(t, wsUrl)
  t.match(await socket.request({ action: 'enqueue', queue: 'bookings', message: 1 }), { action: 'error', code: 'unavailable', error: /Redis Cluster/ })
  t.match(await socket.request({ action: 'consume', queue: 'bookings', prefetch: 1 }), { action: 'error', code: 'unavailable', error: /Redis Cluster/ })
  t.match(await socket.request({ action: 'publish', topic: 'booked', message: 'still served' }), { action: 'published' }, 'topics are served')
})

t.test('every method of the refusing queue throws the same error', async (t) => {
  const queue = new UnsupportedWorkQueue()
  t.equal(queue.ready, true, 'ready: the refusal is an answer, not an outage')
  const calls: Array<() => Promise<unknown>> = [
    async () => queue.enqueue(), async () => queue.claim(), async () => queue.ack(), async () => queue.nack(), async () => queue.extend(),
    async () => queue.status(), async () => queue.queues(), async () => queue.stats(), async () => queue.failed(), async () => queue.watch(),
    async () => queue.consume()
  ]
  for (const call of calls) await t.rejects(call(), QueuesUnsupportedError)
  await queue.close()
})
