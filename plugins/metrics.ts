/**
 * Prometheus metrics as `fastify.metrics`: the counts the call sites keep, the gauges read from the app at
 * each scrape, Redis command timing, and the HTTP errors and bytes. Registered before the plugins that count.
 */
import fp from 'fastify-plugin'
import { createMetrics, type ProxyerMetrics, type QueueTotals } from '../src/metrics/proxyer-metrics.js'
import { timeRedisCommands } from '../src/metrics/redis-command-timing.js'
import type { WorkQueue } from '../src/queue/work-queue.js'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ProxyerMetrics
  }
}

export default fp(async (fastify) => {
  const { config } = fastify
  // the gauges read what later plugins decorate, at scrape time
  const metrics = createMetrics({
    connections: () => fastify.connections.open.size,
    topics: async () => fastify.proxyer.topics('local'),
    queues: async () => queueTotals(fastify.queues),
    redisConnected: config.REDIS_URL === undefined && config.REDIS_CLUSTER_NODES === undefined ? undefined : () => fastify.proxyer.ready
  }, { defaultMetrics: config.METRICS })
  // the counts are kept with METRICS off too, so call sites need no check; only the collectors stay off
  fastify.decorate('metrics', metrics)
  if (!config.METRICS) return
  const { figures } = metrics

  fastify.addHook('onReady', async () => {
    if (!fastify.hasDecorator('redis')) return
    const stop = timeRedisCommands(metrics.redisCommandSeconds, fastify.redis.options)
    fastify.addHook('onClose', async () => stop())
  })

  // every HTTP error, whoever answered it (validation, a route, the error handler, the 404 handler, the rate limit)
  fastify.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode >= 400) figures.countError('http', errorCode(reply.statusCode, payload))
    return payload
  })
  // Fastify has set the length of a serialized body by now, and @fastify/static a file's
  fastify.addHook('onResponse', async (request, reply) => {
    /* c8 ignore next: every reply proxyer sends has a length (bodies, files, empty 204s); a chunked stream would count 0 */
    figures.sentBytes.http += Number(reply.getHeader('content-length') ?? 0)
  })
}, { name: 'metrics', dependencies: ['config'] })

/** Every queue's figures summed: a label per queue would take one value per client-chosen name. */
async function queueTotals (queues: WorkQueue): Promise<QueueTotals> {
  const names = await queues.queues()
  // a queue that lapsed since it was listed has no stats
  const all = (await Promise.all(names.map(async (name) => queues.stats(name)))).filter((stats) => stats !== undefined)
  const totals: QueueTotals = { queues: all.length, waiting: 0, active: 0, oldestWaitingMs: 0 }
  for (const stats of all) {
    totals.waiting += stats.waiting
    totals.active += stats.active
    totals.oldestWaitingMs = Math.max(totals.oldestWaitingMs, stats.oldestWaitingMs)
  }
  return totals
}

const ERROR_CODE = /"code":"([A-Z][A-Z0-9_]{0,63})"/

/** The `code` of Fastify's error body (FST_ERR_VALIDATION, PROXYER_UNAVAILABLE...), or the status for a body without one. */
function errorCode (statusCode: number, payload: unknown): string {
  // a bounded set: Fastify's and proxyer's codes, never free text from the request (a quote inside a JSON string is escaped)
  // error bodies are serialized strings by now; a stream or buffer body simply has no code to find
  return ERROR_CODE.exec(String(payload))?.[1] ?? `HTTP_${statusCode}`
}
