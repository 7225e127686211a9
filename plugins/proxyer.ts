/** The broker behind every route, as `fastify.proxyer`: embedded, or shared through Redis when REDIS_URL is set. */
import { hostname } from 'node:os'
import { randomUUID } from 'node:crypto'
import fp from 'fastify-plugin'
import type { Broker } from '../src/broker/broker.js'
import { MemoryBroker } from '../src/broker/memory-broker.js'
import { RedisBroker } from '../src/broker/redis/redis-broker.js'

declare module 'fastify' {
  interface FastifyInstance {
    proxyer: Broker
  }
}

export default fp(async (fastify) => {
  const { config } = fastify
  const instanceId = config.INSTANCE_ID ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`
  const describe = (): { connections: number } => ({ connections: fastify.connections.open.size })
  const topicTtlMs = config.TOPIC_TTL_SECONDS * 1000
  // HISTORY_SIZE=0 or HISTORY_TTL=0 turns history off; offsets and epochs remain
  const bytes = { topicMaxBytes: config.HISTORY_TOPIC_MAX_BYTES, maxBytes: config.HISTORY_MAX_BYTES }
  const history = config.HISTORY_TTL === 0 ? { size: 0, ttlMs: 0, ...bytes } : { size: config.HISTORY_SIZE, ttlMs: config.HISTORY_TTL * 1000, ...bytes }
  const idempotency = { ttlMs: config.IDEMPOTENCY_TTL * 1000, maxKeys: config.IDEMPOTENCY_MAX_KEYS }

  // the redis plugin decorates `redis` when REDIS_URL is set, `redisCluster` when REDIS_CLUSTER_NODES is
  const cluster = fastify.hasDecorator('redisCluster') ? fastify.redisCluster : undefined
  const commands = cluster ?? (fastify.hasDecorator('redis') ? fastify.redis : undefined)
  const broker: Broker = commands !== undefined
    ? new RedisBroker({
      commands,
      // a Redis Cluster's SSUBSCRIBEs go to each shard's subscriber connection, which ioredis keeps
      // SSUBSCRIBE runs nothing twice: sent again after a failover, as ioredis does by default (100 ms)
      subscriber: cluster?.duplicate([], { shardedSubscribers: true, retryDelayOnFailover: 100, redisOptions: { ...cluster.options.redisOptions, connectionName: 'proxyer-subscriber' } }) ??
        fastify.redis.duplicate({ connectionName: 'proxyer-subscriber' }),
      // no command timeout: the probe judges a PING's wait itself, in time the event loop was free (a timer
      // counts a long turn against Redis, and a PING failed by it would turn /ready 503 on a busy instance)
      probe: cluster?.duplicate([], { redisOptions: { ...cluster.options.redisOptions, connectionName: 'proxyer-probe', commandTimeout: undefined } }) ??
        fastify.redis.duplicate({ connectionName: 'proxyer-probe', commandTimeout: undefined }),
      prefix: config.REDIS_PREFIX,
      bridge: config.REDIS_BRIDGE,
      countBridged: () => { fastify.metrics.figures.publishes.bridge++ },
      instanceId,
      instanceTtlMs: config.INSTANCE_TTL_MS,
      topicTtlMs,
      history,
      idempotency,
      maxTopics: config.MAX_TOPICS,
      // a frozen Redis shows in /ready within this, or sooner when commands time out sooner
      probeTimeoutMs: Math.min(2000, config.REDIS_COMMAND_TIMEOUT_MS),
      describe,
      log: fastify.log
    })
    : new MemoryBroker({ instanceId, topicTtlMs, history, idempotency, maxTopics: config.MAX_TOPICS, describe })

  await broker.connect()
  fastify.decorate('proxyer', broker)
  fastify.addHook('onClose', async () => broker.close())
}, { name: 'proxyer', dependencies: ['config', 'metrics', 'websocket', 'redis'] })
