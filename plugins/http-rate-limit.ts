/** Per-address request limit on HTTP (@fastify/rate-limit) for clients without an API key; backends with a key are never limited. */
import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import { bearerOf } from './access.js'

export default fp(async (fastify) => {
  const limit = fastify.access.rateLimit
  if (limit === undefined) return
  await fastify.register(rateLimit, {
    max: limit.perSecond,
    timeWindow: 1000,
    // request.ip: the client's address, or the one a trusted proxy (TRUST_PROXY) forwarded
    keyGenerator: (request) => request.ip,
    allowList: (request) => fastify.access.isApiKey(bearerOf(request)),
    onExceeded: () => { fastify.metrics.figures.rateLimited.http++ }
  })
}, { name: 'http-rate-limit', dependencies: ['access', 'metrics'] })
