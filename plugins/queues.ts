/** The work queues behind /queues, as `fastify.queues`: in memory, or shared through Redis when REDIS_URL is set; refused on a Redis Cluster. */
import { hostname } from 'node:os'
import { randomUUID } from 'node:crypto'
import fp from 'fastify-plugin'
import type { WorkQueue } from '../src/queue/work-queue.js'
import { MemoryWorkQueue } from '../src/queue/memory-queue.js'
import { RedisWorkQueue } from '../src/queue/redis-queue.js'
import { UnsupportedWorkQueue } from '../src/queue/unsupported-queue.js'

declare module 'fastify' {
  interface FastifyInstance {
    queues: WorkQueue
  }
}

/** Lapsed holds are found this often, so a job fails or comes back soon after its time. */
const SWEEP_INTERVAL_MS = 200

export default fp(async (fastify) => {
  const { config } = fastify
  const limits = {
    maxLength: config.QUEUE_MAX_LENGTH,
    maxAttempts: config.JOB_MAX_ATTEMPTS,
    resultTtlMs: config.JOB_RESULT_TTL * 1000,
    queueTtlMs: config.TOPIC_TTL_SECONDS * 1000,
    positionIntervalMs: config.POSITION_INTERVAL_MS,
    idempotency: { ttlMs: config.IDEMPOTENCY_TTL * 1000, maxKeys: config.IDEMPOTENCY_MAX_KEYS }
  }
  const onError = (err: unknown): void => fastify.log.warn({ err }, 'work queue')
  const common = { limits, visibilityMs: config.JOB_VISIBILITY_MS, sweepIntervalMs: SWEEP_INTERVAL_MS, onError }

  // on a Redis Cluster the queues refuse every request, saying why, rather than run apart on each instance
  if (config.REDIS_CLUSTER_NODES !== undefined) {
    fastify.log.warn('work queues are not available on a Redis Cluster: every queue request is refused')
    fastify.decorate('queues', new UnsupportedWorkQueue() as WorkQueue)
    return
  }
  const queues = fastify.hasDecorator('redis')
    ? new RedisWorkQueue({
      ...common,
      commands: fastify.redis,
      subscriber: fastify.redis.duplicate({ connectionName: 'proxyer-queues' }),
      prefix: `${config.REDIS_PREFIX}q:`,
      instanceId: config.INSTANCE_ID ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
      instanceTtlMs: config.INSTANCE_TTL_MS
    })
    : new MemoryWorkQueue(common)

  if (queues instanceof RedisWorkQueue) await queues.connect()
  fastify.decorate('queues', queues as WorkQueue)
  // before the server stops: long-polls in flight answer at once, socket consumers' jobs go back while Redis is still there
  fastify.addHook('preClose', async () => queues.close())
}, { name: 'queues', dependencies: ['config'] })
