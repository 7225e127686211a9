/** The Redis connection for commands, as `fastify.redis`, when REDIS_URL turns on cluster mode. */
import fp from 'fastify-plugin'
import fastifyRedis from '@fastify/redis'
import { Redis } from 'ioredis'
import { closeRedis } from '../src/broker/redis/close-redis.js'
import { redactedUrl, waitForRedis } from '../src/broker/redis/wait-for-redis.js'

export default fp(async (fastify) => {
  const { REDIS_URL, REDIS_CONNECT_TIMEOUT_MS, REDIS_COMMAND_TIMEOUT_MS } = fastify.config
  if (REDIS_URL === undefined) return
  const client = new Redis(REDIS_URL, {
    connectionName: 'proxyer',
    // fail fast while Redis is down: publishers get a 503 to retry, not a request that hangs
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // a command Redis took but did not answer fails after this: for a publish, its outcome is unknown
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    // a command sent before a connection was lost is never sent again: Redis may have run it already
    autoResendUnfulfilledCommands: false,
    // the broker resubscribes itself, from its own list, after every reconnect
    autoResubscribe: false,
    retryStrategy: (attempt: number) => Math.min(100 * attempt, 2000)
  })
  // Redis may come up after proxyer (compose, a restart of both): wait for it, then fail saying why
  try {
    await waitForRedis(client, redactedUrl(REDIS_URL), REDIS_CONNECT_TIMEOUT_MS, fastify.log)
  } catch (err) {
    client.disconnect()
    throw err
  }
  // handed over as a client so that closing it is ours: a plain quit() would hang or throw while Redis is down
  await fastify.register(fastifyRedis, { client })
  fastify.addHook('onClose', async () => closeRedis(client))
}, { name: 'redis', dependencies: ['config'] })
