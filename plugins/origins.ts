/** ALLOWED_ORIGINS: CORS for the REST API (@fastify/cors), and web pages of other origins refused on WebSocket upgrades and on writes (403). */
import fp from 'fastify-plugin'
import cors from '@fastify/cors'
import { AllowedOrigins } from '../src/access/allowed-origins.js'

/** Methods a page of any origin may send without effect (CORS keeps it from reading the answer). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export default fp(async (fastify) => {
  const origins = new AllowedOrigins(fastify.config.ALLOWED_ORIGINS)
  await fastify.register(cors, {
    origin: origins.any ? '*' : [...origins.list],
    allowedHeaders: ['authorization', 'content-type'],
    maxAge: 600
  })
  if (origins.any) return

  // CORS alone stops neither a socket opened from another site's page (cross-site WebSocket hijacking)
  // nor its text/plain POST, which the browser sends without asking first
  fastify.addHook('onRequest', async (request, reply) => {
    if ((!request.ws && SAFE_METHODS.has(request.method)) || origins.allows(request.headers.origin)) return
    request.log.info({ origin: request.headers.origin }, 'origin refused')
    return reply.code(403).send({
      statusCode: 403,
      code: 'PROXYER_ORIGIN_NOT_ALLOWED',
      error: 'Forbidden',
      message: `Origin ${String(request.headers.origin)} is not in ALLOWED_ORIGINS`
    })
  })
}, { name: 'origins', dependencies: ['config', 'websocket'] })
