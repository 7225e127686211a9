/** POST /publish/:topic: how a backend service publishes without holding a socket. */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HttpError, TopicParams } from './schemas.js'

const JsonBody = Type.Object({ message: Type.Unknown() }, { required: ['message'] })
const TextBody = Type.String({ minLength: 1 })

const publishRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/publish/:topic', {
    bodyLimit: fastify.config.MAX_MESSAGE_BYTES,
    schema: {
      params: TopicParams,
      // a JSON body carries the message in a field; a text body is the message itself
      body: {
        content: {
          'application/json': { schema: JsonBody },
          'text/plain': { schema: TextBody }
        }
      },
      response: {
        200: Type.Object({ topic: Type.String(), subscribers: Type.Integer(), offset: Type.Integer(), epoch: Type.String() }),
        400: HttpError,
        503: HttpError
      }
    }
  }, async (request) => {
    const body = request.body as { message: unknown } | string
    const message = typeof body === 'string' ? body : body.message
    const result = await fastify.proxyer.publish(request.params.topic, message)
    fastify.metrics.publishes.inc({ transport: 'http' })
    return result
  })
}

export default publishRoute
