/** GET /topics and GET /topics/:topic: figures for monitoring. */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HttpError, TopicParams, TopicStats } from './schemas.js'

const topicsRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/topics', {
    schema: {
      response: { 200: Type.Object({ topics: Type.Array(TopicStats) }) }
    }
  }, async () => {
    const topics = await fastify.proxyer.topics()
    return { topics: topics.sort((a, b) => a.topic.localeCompare(b.topic)) }
  })

  fastify.get('/topics/:topic', {
    schema: {
      params: TopicParams,
      response: { 200: TopicStats, 404: HttpError }
    }
  }, async (request, reply) => {
    const stats = await fastify.proxyer.topic(request.params.topic)
    if (stats !== undefined) return stats
    return reply.code(404).send({
      statusCode: 404,
      code: 'PROXYER_UNKNOWN_TOPIC',
      error: 'Not Found',
      message: `Topic "${request.params.topic}" has neither subscribers nor messages`
    })
  })
}

export default topicsRoute
