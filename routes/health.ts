/** GET /health (the process answers) and GET /ready (it can serve: for load balancers). */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

const Status = Type.Object({ status: Type.String() })

const healthRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/health', { schema: { response: { 200: Status } } }, async () => ({ status: 'ok' }))

  fastify.get('/ready', { schema: { response: { 200: Status, 503: Status } } }, async (request, reply) => {
    if (!fastify.proxyer.ready) return reply.code(503).send({ status: 'unavailable' })
    return { status: 'ready' }
  })
}

export default healthRoute
