/** GET /topics and GET /topics/:topic: figures for monitoring, of the cluster or of this instance. */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HttpError, TopicParams, TopicStats, unknownTopic } from './schemas.js'
import { isValidTopicFilter } from '../src/contract/codes.js'

const Scope = Type.Union([Type.Literal('cluster'), Type.Literal('local')], { default: 'cluster' })
const ScopeQuery = Type.Object({ scope: Scope })

/** Topics a page holds when the request does not say: 100,000 topics would otherwise be 12 MB of JSON built in one turn. */
const DEFAULT_PAGE_SIZE = 1000

const PageQuery = Type.Object({
  scope: Scope,
  prefix: Type.String({ maxLength: 128, default: '', description: 'only topics and patterns whose name starts with it' }),
  limit: Type.Integer({ minimum: 1, maximum: 10_000, default: DEFAULT_PAGE_SIZE }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'the previous page\'s next' }))
})

const topicsRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/topics', {
    config: { access: { action: 'subscribe', on: 'everything' } },
    schema: {
      summary: 'The live topics with their figures, a page at a time',
      description: 'Sorted by name (code units), summed over the live instances or this instance alone with scope=local; ' +
        'filtered by prefix; limit topics a page (1,000 by default), and next is the cursor of the following page (null at the end).',
      tags: ['topics'],
      querystring: PageQuery,
      response: {
        200: Type.Object({ topics: Type.Array(TopicStats), next: Type.Union([Type.String(), Type.Null()]) }),
        400: { ...HttpError, description: 'A cursor this API did not give (PROXYER_BAD_CURSOR)' },
        503: { ...HttpError, description: 'Redis is down' }
      }
    }
  }, async (request, reply) => {
    const { scope, prefix, limit, cursor } = request.query
    const after = cursor === undefined ? undefined : cursorName(cursor)
    if (after === null) {
      return reply.code(400).send({ statusCode: 400, code: 'PROXYER_BAD_CURSOR', error: 'Bad Request', message: 'The cursor is not one this API gave: pass the previous page\'s next unchanged' })
    }
    const page = await fastify.proxyer.topicPage({ prefix, after, limit }, scope)
    return { topics: page.topics, next: page.next === null ? null : Buffer.from(page.next).toString('base64url') }
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

/** The name a cursor continues after, or null when it is not a cursor of ours (topic names are ASCII). */
function cursorName (cursor: string): string | null {
  const name = Buffer.from(cursor, 'base64url').toString('latin1')
  return name !== '' && Buffer.from(name, 'latin1').toString('base64url') === cursor && isValidTopicFilter(name) ? name : null
}
