/** The Redis connection for commands, as `fastify.redis`, when REDIS_URL turns on cluster mode. */
import fp from 'fastify-plugin'
import fastifyRedis from '@fastify/redis'

export default fp(async (fastify) => {
  const { REDIS_URL } = fastify.config
  if (REDIS_URL === undefined) return
  await fastify.register(fastifyRedis, {
    url: REDIS_URL,
    connectionName: 'proxyer',
    // fail fast while Redis is down: publishers get a 503 to retry, not a request that hangs
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 5000,
    // the broker resubscribes itself, from its own list, after every reconnect
    autoResubscribe: false,
    retryStrategy: (attempt: number) => Math.min(100 * attempt, 2000)
  })
}, { name: 'redis', dependencies: ['config'] })
