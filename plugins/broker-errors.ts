/** Answers 503 with Retry-After while the broker's backend is down, so publishers know to retry. */
import fp from 'fastify-plugin'
import { BrokerUnavailableError } from '../src/broker/broker.js'

export default fp(async (fastify) => {
  fastify.setErrorHandler((error, request, reply) => {
    if (!(error instanceof BrokerUnavailableError)) return reply.send(error)
    request.log.warn({ err: error }, 'broker unavailable')
    return reply.code(503).header('retry-after', '1').send({
      statusCode: 503,
      code: 'PROXYER_UNAVAILABLE',
      error: 'Service Unavailable',
      message: `${error.message}; retry shortly`
    })
  })
}, { name: 'broker-errors' })
