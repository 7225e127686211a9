/** Prometheus metrics as `fastify.metrics` (counters and histograms for the call sites), and the HTTP errors counted by code. */
import fp from 'fastify-plugin'
import { createMetrics, type ProxyerMetrics } from '../src/metrics/proxyer-metrics.js'
import { timeRedisCommands } from '../src/metrics/redis-command-timing.js'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ProxyerMetrics
  }
}

export default fp(async (fastify) => {
  const { config, connections, proxyer } = fastify
  const metrics = createMetrics({
    connections: () => connections.open.size,
    topics: async () => proxyer.topics('local'),
    redisConnected: fastify.hasDecorator('redis') || fastify.hasDecorator('redisCluster') ? () => proxyer.ready : undefined
  }, { defaultMetrics: config.METRICS })
  // the counters exist with METRICS off too, so call sites need no check; only the collectors stay off
  fastify.decorate('metrics', metrics)
  if (!config.METRICS) return

  if (fastify.hasDecorator('redis')) {
    const stop = timeRedisCommands(metrics.redisCommandSeconds, fastify.redis.options)
    fastify.addHook('onClose', async () => stop())
  }

  // every HTTP error, whoever answered it (validation, a route, the error handler, the 404 handler)
  fastify.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode >= 400) metrics.errors.inc({ code: errorCode(reply.statusCode, payload), transport: 'http' })
    return payload
  })
}, { name: 'metrics', dependencies: ['config', 'websocket', 'proxyer'] })

const ERROR_CODE = /"code":"([A-Z][A-Z0-9_]{0,63})"/

/** The `code` of Fastify's error body (FST_ERR_VALIDATION, PROXYER_UNAVAILABLE...), or the status for a body without one. */
function errorCode (statusCode: number, payload: unknown): string {
  // a bounded set: Fastify's and proxyer's codes, never free text from the request (a quote inside a JSON string is escaped)
  // error bodies are serialized strings by now; a stream or buffer body simply has no code to find
  return ERROR_CODE.exec(String(payload))?.[1] ?? `HTTP_${statusCode}`
}
