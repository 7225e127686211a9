/** POST /publish/:topic: how a backend service publishes without holding a socket. */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HttpError, TopicParams } from './schemas.js'

const JsonBody = Type.Object({ message: Type.Unknown() }, { required: ['message'] })
const TextBody = Type.String({ minLength: 1 })
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
      params: TopicParams,
      body: { content: BodyContent },
      response: {
        200: Type.Object({ topic: Type.String(), subscribers: Type.Integer(), offset: Type.Integer(), epoch: Type.String() }),
        400: HttpError,
        503: HttpError,
        504: HttpError
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
    return fastify.proxyer.publish(request.params.topic, message)
  })
}

export default publishRoute
