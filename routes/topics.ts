/** GET /topics and GET /topics/:topic: figures for monitoring, of the cluster or of this instance. */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HttpError, TopicParams, TopicStats, unknownTopic } from './schemas.js'

const ScopeQuery = Type.Object({
  scope: Type.Union([Type.Literal('cluster'), Type.Literal('local')], { default: 'cluster' })
})

const topicsRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/topics', {
    config: { access: { action: 'subscribe', on: 'everything' } },
    schema: {
      summary: 'Every live topic with its figures',
      description: 'Sorted by name; summed over the live instances, or this instance alone with scope=local.',
      tags: ['topics'],
      querystring: ScopeQuery,
      response: { 200: Type.Object({ topics: Type.Array(TopicStats) }), 503: { ...HttpError, description: 'Redis is down' } }
    }
  }, async (request) => {
    const topics = await fastify.proxyer.topics(request.query.scope)
    return { topics: topics.sort((a, b) => a.topic.localeCompare(b.topic)) }
  })

  fastify.get('/topics/:topic', {
    config: { access: { action: 'subscribe', on: 'topic' } },
    schema: {
      summary: 'One topic\'s figures',
      tags: ['topics'],
      params: TopicParams,
      querystring: ScopeQuery,
      response: {
        200: TopicStats,
        404: { ...HttpError, description: 'A topic with neither subscribers nor messages (PROXYER_UNKNOWN_TOPIC)' },
        503: { ...HttpError, description: 'Redis is down' }
      }
    }
  }, async (request, reply) => {
    const stats = await fastify.proxyer.topic(request.params.topic, request.query.scope)
    if (stats !== undefined) return stats
    return reply.code(404).send(unknownTopic(`Topic "${request.params.topic}" has neither subscribers nor messages`))
  })
}

export default topicsRoute
