/** Turns errors into replies: 503 with Retry-After while the broker's backend is down, 504 when a publish's outcome is unknown, 429 past MAX_TOPICS, and never internal error text in a 500. */
import fp from 'fastify-plugin'
import { BrokerOutcomeUnknownError, BrokerUnavailableError, TooManyTopicsError } from '../src/broker/broker.js'
import { QueuesUnsupportedError } from '../src/queue/unsupported-queue.js'

export default fp(async (fastify) => {
  fastify.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    if (error instanceof BrokerUnavailableError) {
      request.log.warn({ err: error }, 'broker unavailable')
      return reply.code(503).header('retry-after', '1').send({
        statusCode: 503,
        code: 'PROXYER_UNAVAILABLE',
        error: 'Service Unavailable',
        message: `${error.message}; retry shortly`
      })
    }
    if (error instanceof QueuesUnsupportedError) {
      return reply.code(501).send({ statusCode: 501, code: 'PROXYER_QUEUES_UNSUPPORTED', error: 'Not Implemented', message: error.message })
    }
    if (error instanceof TooManyTopicsError) {
      return reply.code(429).send({ statusCode: 429, code: 'PROXYER_TOO_MANY_TOPICS', error: 'Too Many Requests', message: error.message })
    }
    if (error instanceof BrokerOutcomeUnknownError) {
      request.log.warn({ err: error }, 'publish outcome unknown')
      return reply.code(504).send({
        statusCode: 504,
        code: 'PROXYER_OUTCOME_UNKNOWN',
        error: 'Gateway Timeout',
        message: `${error.message}; a retry may publish it twice unless it carries an idempotency key`
      })
    }
    // client errors say what was wrong with the request; anything else is ours, and its text stays in the log
    if (error.statusCode !== undefined && error.statusCode < 500) return reply.send(error)
    request.log.error({ err: error }, 'request failed')
    return reply.code(500).send({
      statusCode: 500,
      code: 'PROXYER_INTERNAL',
      error: 'Internal Server Error',
      message: 'The server could not handle this request'
    })
  })
}, { name: 'broker-errors' })
