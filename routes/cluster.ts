/** GET /cluster: the live instances sharing the topics, each with its connections. */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HttpError } from './schemas.js'

const Instance = Type.Object({
  id: Type.String(),
  self: Type.Boolean(),
  connections: Type.Integer(),
  startedAt: Type.String({ format: 'date-time' }),
  lastSeenAt: Type.String({ format: 'date-time' })
})

const clusterRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/cluster', {
    config: { access: { action: 'subscribe', on: 'everything' } },
    schema: {
      summary: 'The live instances sharing the topics',
      tags: ['monitoring'],
      response: {
        200: Type.Object({ mode: Type.String(), instances: Type.Array(Instance) }),
        503: HttpError
      }
    }
  }, async () => ({
    mode: fastify.config.REDIS_URL === undefined ? 'embedded' : 'redis',
    instances: await fastify.proxyer.instances()
  }))
}

export default clusterRoute
