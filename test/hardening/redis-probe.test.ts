/** The readiness probe judges Redis by time the event loop was free to read its answer: a long turn is not a frozen Redis, a frozen Redis still is. */
import t, { type Test } from 'tap'
import type { Redis } from 'ioredis'
import { RedisProbe } from '../../src/broker/redis/redis-probe.js'
import { eventually } from '../helper.js'
import { RedisServer } from '../redis-server.js'

const TIMEOUT_MS = 200

/** Holds the event loop, as one long turn of work does (a burst of publishes, a GC pause): nothing is read meanwhile. */
function holdLoop (ms: number): void {
  const end = Date.now() + ms
  while (Date.now() < end);
}

async function started (t: Test): Promise<{ server: RedisServer, redis: Redis, probe: RedisProbe }> {
  const server = await RedisServer.start(t)
  const redis = server.client(t)
  await redis.ping()
  const probe = new RedisProbe(redis, TIMEOUT_MS)
  t.teardown(() => probe.stop())
  return { server, redis, probe }
}

t.test('a turn that holds the loop for 4 timeouts just after a PING went out is not taken for a Redis that does not answer', async (t) => {
  const { redis, probe } = await started(t)
  const ping = redis.ping.bind(redis)
  // the hold starts as the probe's PING leaves: its PONG arrives at once but cannot be read until the turn ends
  const held = new Promise<{ answering: boolean, reply: Promise<string> }>((resolve) => {
    redis.ping = (() => {
      redis.ping = ping
      const reply = ping()
      holdLoop(4 * TIMEOUT_MS)
      resolve({ answering: probe.answering, reply })
      return reply
    }) as typeof redis.ping
  })
  const { answering, reply } = await held
  t.equal(answering, true, 'answering at the end of the turn, the PONG still unread')
  await reply
  t.equal(probe.answering, true, 'and once the PONG is read')
})

t.test('a frozen Redis is known within a bounded time, and a thawed one again', async (t) => {
  const { server, probe } = await started(t)
  await eventually(() => probe.answering, 'answering while Redis runs')
  server.signal('SIGSTOP')
  t.teardown(() => server.signal('SIGCONT'))
  const frozenAt = Date.now()
  await eventually(() => !probe.answering, 'not answering once a PING waits past the timeout', 10 * TIMEOUT_MS)
  t.ok(Date.now() - frozenAt >= TIMEOUT_MS, 'not before a PING has waited the whole timeout')
  server.signal('SIGCONT')
  await eventually(() => probe.answering, 'answering again once Redis is thawed')
})
