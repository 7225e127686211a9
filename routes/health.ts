/** GET /health (the process answers) and GET /ready (it can serve: for load balancers). */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

const Status = Type.Object({ status: Type.String() })
const Health = Type.Object({
  status: Type.String(),
  connectionFaults: Type.Integer({ description: 'connections closed because serving them raised an error' })
})

const healthRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/health', { schema: { summary: 'The process answers', tags: ['monitoring'], response: { 200: Health } } }, async () => ({
    status: 'ok',
    connectionFaults: fastify.connections.faults.count
  }))

  fastify.get('/ready', {
    schema: {
      summary: 'The instance can serve (for load balancers)',
      tags: ['monitoring'],
      response: { 200: Status, 503: { ...Status, description: 'Starting, shutting down, or Redis is down' } }
    }
  }, async (request, reply) => {
    if (!fastify.proxyer.ready) return reply.code(503).send({ status: 'unavailable' })
    return { status: 'ready' }
  })
}

export default healthRoute
