/** POST /publish/:topic: how a backend service publishes without holding a socket. */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HttpError, TopicParams } from './schemas.js'
import { IdempotencyKey } from '../src/contract/schemas.js'

const BOOKING = '1673254205340:2199:32925:en00030'
const JsonBody = Type.Object({ message: Type.Unknown({ description: 'any JSON value, delivered unchanged' }) }, {
  required: ['message'],
  examples: [{ message: { visitor: 2199, ticket: 'en00030' } }]
})
const TextBody = Type.String({ minLength: 1, description: 'the message itself, delivered as a string', examples: [BOOKING] })
// a JSON body carries the message in a field; a text body is the message itself
const BodyContent = {
  'application/json': { schema: JsonBody },
  'text/plain': { schema: TextBody }
}
const ACCEPTED = Object.keys(BodyContent).join(' or ')

const publishRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/publish/:topic', {
    bodyLimit: fastify.config.MAX_MESSAGE_BYTES,
    config: { access: { action: 'publish', on: 'topic' } },
    schema: {
      summary: 'Publish a message to a topic',
      description: 'Every subscriber of the topic, on every instance, receives the message once. A 503 reached nobody: retry it.',
      tags: ['publish'],
      params: TopicParams,
      headers: Type.Object({ 'idempotency-key': Type.Optional(IdempotencyKey) }),
      body: { content: BodyContent },
      response: {
        200: Type.Object({
          topic: Type.String(),
          subscribers: Type.Integer({ description: 'subscribers the message was handed to' }),
          offset: Type.Integer({ description: 'the message\'s place in its topic' }),
          epoch: Type.String({ description: 'names the topic\'s history; a new epoch restarts the offsets' })
        }, { description: 'Published', examples: [{ topic: 'booked', subscribers: 3, offset: 43, epoch: 'Xq3v9a' }] }),
        400: { ...HttpError, description: 'An invalid topic or body (FST_ERR_VALIDATION)' },
        413: { ...HttpError, description: 'A body over MAX_MESSAGE_BYTES' },
        415: { ...HttpError, description: 'A content type other than JSON or text' },
        429: { ...HttpError, description: 'A new topic past MAX_TOPICS (PROXYER_TOO_MANY_TOPICS)' },
        503: { ...HttpError, description: 'Redis is down (PROXYER_UNAVAILABLE, Retry-After: 1): the message reached nobody' },
        504: { ...HttpError, description: 'Redis took the publish and did not answer (PROXYER_OUTCOME_UNKNOWN): it may have been published; retry with the same Idempotency-Key' }
      }
    },
    // Fastify's 415 names no type; the publisher needs to know which ones work (other errors go on to the app's handler)
    errorHandler: (error, request) => {
      if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
        error.message = `Unsupported Media Type ${JSON.stringify(request.headers['content-type'] ?? '')}: send ${ACCEPTED}`
      }
      throw error
    }
  }, async (request, reply) => {
    const body = request.body as { message: unknown } | string | undefined
    // without a body (and so without a content type) Fastify parses and validates nothing
    if (body === undefined) {
      return reply.code(400).send({ statusCode: 400, code: 'PROXYER_NO_BODY', error: 'Bad Request', message: `No message in the request: send a body as ${ACCEPTED}` })
    }
    const message = typeof body === 'string' ? body : body.message
    // a retried POST with the same key publishes nothing and gets the first answer
    const result = await fastify.proxyer.publish(request.params.topic, message, request.headers['idempotency-key'])
    fastify.metrics.figures.publishes.http++
    return result
  })
}

export default publishRoute
