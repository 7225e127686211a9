/** GET /topics/:topic/history: the messages a topic keeps, for a client that reloads its state. */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HttpError, TopicParams, unknownTopic } from './schemas.js'

const HistoryQuery = Type.Object({
  since: Type.Optional(Type.Integer({ minimum: 0, description: 'the last offset the client has; messages after it are returned' })),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'at most this many messages, the oldest first kept' }),
  last: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'the newest N messages instead (after `since` when given), still in offset order; replaces `limit`' }))
})

const History = Type.Object({
  topic: Type.String(),
  epoch: Type.String(),
  offset: Type.Integer({ description: 'the offset of the topic\'s last message' }),
  messages: Type.Array(Type.Object({
    offset: Type.Integer(),
    message: Type.Unknown(),
    publishedAt: Type.String({ format: 'date-time' })
  }))
})

const historyRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/topics/:topic/history', {
    config: { access: { action: 'subscribe', on: 'topic' } },
    schema: {
      summary: 'The messages a topic keeps',
      description: 'For a client that reloads its state: the oldest first after since, or the newest N with last.',
      tags: ['topics'],
      params: TopicParams,
      querystring: HistoryQuery,
      response: {
        200: History,
        404: { ...HttpError, description: 'A topic without history (PROXYER_UNKNOWN_TOPIC)' },
        503: { ...HttpError, description: 'Redis is down' }
      }
    }
  }, async (request, reply) => {
    const { topic } = request.params
    const { since, limit, last } = request.query
    const history = await fastify.proxyer.history(topic, since, last ?? limit, last !== undefined)
    if (history !== undefined) return history
    return reply.code(404).send(unknownTopic(`Topic "${topic}" has no history`))
  })
}

export default historyRoute
