/** GET /topics and GET /topics/:topic: figures for monitoring, of the cluster or of this instance. */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HttpError, TopicParams, TopicStats, unknownTopic } from './schemas.js'

const ScopeQuery = Type.Object({
  scope: Type.Union([Type.Literal('cluster'), Type.Literal('local')], { default: 'cluster' })
})

/** Topics one GET /topics reply lists at most: 100,000 topics would be 12 MB of JSON built in one turn. */
const TOPICS_PAGE = 1000

const TopicsQuery = Type.Object({
  ...ScopeQuery.properties,
  after: Type.Optional(Type.String({ maxLength: 128, description: 'the `next` of the previous page: topics named after it' }))
})

const topicsRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/topics', {
    config: { access: { action: 'subscribe', on: 'everything' } },
    schema: {
      querystring: TopicsQuery,
      response: {
        200: Type.Object({
          topics: Type.Array(TopicStats),
          next: Type.Optional(Type.String({ description: 'more topics follow: ask again with after=next' }))
        }),
        503: HttpError
      }
    }
  }, async (request) => {
    const { scope, after } = request.query
    const all = await fastify.proxyer.topics(scope)
    // names are compared as code units: cheap for 100,000 of them, and the same order on every page
    const sorted = (after === undefined ? all : all.filter((s) => s.topic > after)).sort((a, b) => a.topic < b.topic ? -1 : 1)
    const topics = sorted.slice(0, TOPICS_PAGE)
    return sorted.length > TOPICS_PAGE ? { topics, next: topics[TOPICS_PAGE - 1].topic } : { topics }
  })

  fastify.get('/topics/:topic', {
    config: { access: { action: 'subscribe', on: 'topic' } },
    schema: {
      params: TopicParams,
      querystring: ScopeQuery,
      response: { 200: TopicStats, 404: HttpError, 503: HttpError }
    }
  }, async (request, reply) => {
    const stats = await fastify.proxyer.topic(request.params.topic, request.query.scope)
    if (stats !== undefined) return stats
    return reply.code(404).send(unknownTopic(`Topic "${request.params.topic}" has neither subscribers nor messages`))
  })
}

export default topicsRoute
