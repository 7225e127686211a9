/**
 * The Redis connection for commands when cluster mode is on: `fastify.redis` for one Redis (REDIS_URL),
 * `fastify.redisCluster` for a Redis Cluster (REDIS_CLUSTER_NODES).
 */
import fp from 'fastify-plugin'
import fastifyRedis from '@fastify/redis'
import { Cluster, Redis, type RedisOptions } from 'ioredis'
import { clusterSeeds } from '../src/config.js'
import { closeRedis } from '../src/broker/redis/close-redis.js'
import { redactedUrl, waitForRedis } from '../src/broker/redis/wait-for-redis.js'

declare module 'fastify' {
  interface FastifyInstance {
    redisCluster: Cluster
  }
}

export default fp(async (fastify) => {
  const { REDIS_URL, REDIS_CLUSTER_NODES, REDIS_PASSWORD, REDIS_TLS, REDIS_CONNECT_TIMEOUT_MS, REDIS_COMMAND_TIMEOUT_MS } = fastify.config
  const options: RedisOptions = {
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
  }
  if (REDIS_CLUSTER_NODES !== undefined) {
    const client = new Cluster(clusterSeeds(REDIS_CLUSTER_NODES), {
      redisOptions: { ...options, password: REDIS_PASSWORD, tls: REDIS_TLS ? {} : undefined },
      enableOfflineQueue: false,
      // each shard's commands of one event-loop turn go in one write, as cork() does for one Redis
      enableAutoPipelining: true,
      // a master lost with a script sent is answered "Connection is closed.", which ioredis would send again to the
      // promoted replica: the script may have run and replicated already, so an unkeyed publish could go out twice
      retryDelayOnFailover: 0,
      clusterRetryStrategy: (attempt: number) => Math.min(100 * attempt, 2000)
    })
    await connect(client, REDIS_CLUSTER_NODES)
    fastify.decorate('redisCluster', client)
    fastify.addHook('onClose', async () => closeRedis(client))
    return
  }
  if (REDIS_URL === undefined) return
  const client = new Redis(REDIS_URL, options)
  await connect(client, redactedUrl(REDIS_URL))
  // handed over as a client so that closing it is ours: a plain quit() would hang or throw while Redis is down
  await fastify.register(fastifyRedis, { client })
  fastify.addHook('onClose', async () => closeRedis(client))

  /** Redis may come up after proxyer (compose, a restart of both): wait for it, then fail saying why. */
  async function connect (client: Redis | Cluster, where: string): Promise<void> {
    try {
      await waitForRedis(client, where, REDIS_CONNECT_TIMEOUT_MS, fastify.log)
    } catch (err) {
      client.disconnect()
      throw err
    }
  }
}, { name: 'redis', dependencies: ['config'] })
