/** Starting before Redis answers: the instance waits for it, or gives up in time saying which Redis and why. */
import { createServer, type Socket } from 'node:net'
import t from 'tap'
import { eventually, postText, startApp, TestClient } from '../helper.js'
import { RedisServer } from '../redis-server.js'

// real servers on a 2-core machine other jobs share: past 120 s measured under a load of 20
t.setTimeout(300_000)

t.test('an instance started before Redis waits for it, then serves', async (t) => {
  const redis = await RedisServer.reserve(t)
  // until Redis comes up, its port hangs up on every connection, counting them
  let attempts = 0
  const hangUp = createServer((socket) => { attempts++; socket.destroy() })
  await new Promise<void>((resolve) => hangUp.listen(redis.port, '127.0.0.1', resolve))
  let state = 'waiting'
  const starting = startApp(t, { REDIS_URL: redis.url, REDIS_CONNECT_TIMEOUT_MS: 10_000 })
  starting.then(() => { state = 'started' }, (err) => { state = `failed: ${(err as Error).message}` })
  await eventually(() => attempts >= 4, 'the instance has tried Redis four times')
  t.equal(state, 'waiting', 'no Redis yet: the start waits')

  await new Promise((resolve) => hangUp.close(resolve))
  await redis.restart()
  const { url, wsUrl } = await starting
  t.equal((await fetch(`${url}/ready`)).status, 200, 'ready once Redis answers')
  const subscriber = await TestClient.connect(t, wsUrl)
  await subscriber.request({ action: 'subscribe', topic: 'booked' })
  const response = await postText(url, 'booked', 'late')
  t.equal(response.status, 200)
  t.match(await subscriber.waitFor((f) => f.action === 'publish'), { topic: 'booked', message: 'late' }, 'publishes go through Redis')
})

t.test('an instance whose Redis never answers gives up after REDIS_CONNECT_TIMEOUT_MS, saying which Redis and why', async (t) => {
  const redis = await RedisServer.reserve(t)
  const url = redis.url.replace('redis://', 'redis://:s3cret@')
  const started = Date.now()
  const err: Error = await startApp(t, { REDIS_URL: url, REDIS_CONNECT_TIMEOUT_MS: 400 }).then(() => new Error('it started'), (e) => e)
  t.match(err.message, new RegExp(`^Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${redis.port} did not answer within 400 ms \\(REDIS_CONNECT_TIMEOUT_MS\\): .*ECONNREFUSED`))
  t.notMatch(err.message, /s3cret/, 'the password stays out of the error')
  t.ok(Date.now() - started < 5000, 'gave up at its own timeout, not Fastify\'s plugin timeout')
})

t.test('a REDIS_URL pointing at something that accepts but never answers times out the same way', async (t) => {
  const sockets: Socket[] = []
  const silent = createServer((socket) => sockets.push(socket))
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    silent.close()
  })
  const { port } = silent.address() as { port: number }
  const err: Error = await startApp(t, { REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_CONNECT_TIMEOUT_MS: 300 }).then(() => new Error('it started'), (e) => e)
  t.equal(err.message, `Redis at redis://127.0.0.1:${port} did not answer within 300 ms (REDIS_CONNECT_TIMEOUT_MS)`)
})
